import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hostOf, isLoopbackHost, listedHost } from '../config/schema.js';
import { errorBody } from './app.js';

/** The cookie a browser gets after opening `/?token=<ADMIN_TOKEN>` once. */
export const ADMIN_COOKIE = 'login_alerts_admin';
const COOKIE_MAX_AGE_S = 12 * 60 * 60;

/**
 * An onRequest hook for the admin listener when ADMIN_TOKEN is set. A request passes with
 * `Authorization: Bearer <token>` (scripts, Prometheus, a header-injecting proxy) or with the
 * session cookie. A browser gets the cookie by opening `/?token=<token>` once: it is answered with
 * a redirect to `/` (the token leaves the address bar and history) and an HttpOnly SameSite=Strict
 * cookie, which EventSource and same-origin fetches then send. The cookie holds an HMAC of the
 * token, not the token, so a leaked cookie is not a bearer token. Anything else: 401.
 */
export function adminAuth(token: string) {
  const tokenDigest = digest(token);
  const session = createHmac('sha256', token).update('login-alerts/admin-session/v1').digest('base64url');
  const sessionDigest = digest(session);
  const matches = (given: string | undefined, expected: Buffer) =>
    given !== undefined && timingSafeEqual(digest(given), expected);

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (matches(bearer(request.headers.authorization), tokenDigest)) return;
    if (matches(cookie(request.headers.cookie, ADMIN_COOKIE), sessionDigest)) return;
    const query = request.query as Record<string, unknown> | undefined;
    const offered = typeof query?.token === 'string' ? query.token : undefined;
    if (request.method === 'GET' && request.routeOptions.url === '/' && matches(offered, tokenDigest)) {
      const secure = isHttps(request) ? '; Secure' : '';
      await reply
        .code(303)
        .header('location', '/')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header(
          'set-cookie',
          `${ADMIN_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_S}${secure}`,
        )
        .send();
      return;
    }
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="login-alerts admin"')
      .send({ error: 'unauthorized' });
  };
}

/**
 * An onRequest hook for the admin listener: it answers only to the names it is reached by. A
 * request whose `Host` (port ignored) is not a loopback name or address, `adminHost`, or one of
 * `allowed` gets 421, token or not, and so does one without a `Host`. A web page whose DNS name
 * is rebound to 127.0.0.1 reaches the socket, but its requests carry its own name and are refused.
 */
export function adminHostGuard(adminHost: string, allowed: readonly string[]) {
  const names = new Set<string>();
  for (const name of [adminHost, ...allowed]) {
    const host = listedHost(name);
    if (host !== undefined) names.add(host);
  }
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = request.headers.host;
    const host = typeof given === 'string' ? hostOf(given) : undefined;
    if (host !== undefined && (isLoopbackHost(host) || names.has(host))) return;
    await reply.code(421).send(errorBody(421));
  };
}

/** Fixed-length digests, so the comparison takes the same time whatever length was offered. */
export function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function bearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 1024) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}

/** One cookie's value from a Cookie header (bounded by the listener's header size limit). */
export function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const i = pair.indexOf('=');
    if (i > 0 && pair.slice(0, i).trim() === name) return pair.slice(i + 1).trim();
  }
  return undefined;
}

/** TLS here, or a proxy saying so: the cookie is then marked Secure (only ever more restrictive). */
function isHttps(request: FastifyRequest): boolean {
  const proto = request.headers['x-forwarded-proto'];
  return request.protocol === 'https' || (typeof proto === 'string' && /^https\b/i.test(proto));
}
