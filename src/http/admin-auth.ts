import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hostOf, isLoopbackHost, listedHost } from '../config/schema.js';
import { errorBody } from './app.js';

/** The cookie a browser gets after opening `/?token=<ADMIN_TOKEN>` once (over plain http). */
export const ADMIN_COOKIE = 'login_alerts_admin';
/**
 * Its name when Secure: a `__Host-` cookie is only accepted by a browser from a secure origin, for
 * Path=/ and without a Domain, so no sibling host or plain-http page can set or shadow it.
 */
export const ADMIN_COOKIE_SECURE = `__Host-${ADMIN_COOKIE}`;
/** A session cookie is honoured this long after it was issued, whatever the browser keeps. */
export const ADMIN_SESSION_S = 12 * 60 * 60;
/** How far in the future an issue time may lie (a clock stepped back since it was issued). */
const CLOCK_SKEW_S = 60;
const SESSION_LABEL = 'login-alerts/admin-session/v2\0';
const SESSION = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * An onRequest hook for the admin listener when ADMIN_TOKEN is set. A request passes with
 * `Authorization: Bearer <token>` (scripts, Prometheus, a header-injecting proxy) or with the
 * session cookie. A browser gets the cookie by opening `/?token=<token>` once: it is answered with
 * a redirect to `/` (the token leaves the address bar and history) and an HttpOnly SameSite=Strict
 * cookie, which EventSource and same-origin fetches then send. The cookie is `<issued>.<mac>`: the
 * issue time (epoch seconds) and an HMAC of it keyed by the token, so a leaked cookie is not a
 * bearer token, and it is refused ADMIN_SESSION_S after issue even if the browser still sends it.
 * Anything else: 401. `now` (epoch ms) is injectable for tests.
 */
export function adminAuth(token: string, opts: { now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  const tokenDigest = digest(token);
  const matches = (given: string | undefined, expected: Buffer) =>
    given !== undefined && timingSafeEqual(digest(given), expected);
  const sessionMac = (issued: string) =>
    createHmac('sha256', token).update(SESSION_LABEL).update(issued).digest('base64url');
  const validSession = (value: string | undefined): boolean => {
    const m = value === undefined ? null : SESSION.exec(value);
    if (m === null) return false;
    const issued = m[1] as string;
    const age = Math.floor(now() / 1000) - Number(issued);
    // The MAC is compared in every case, so timing tells nothing about which check failed.
    const macOk = matches(m[2], digest(sessionMac(issued)));
    return macOk && age < ADMIN_SESSION_S && age >= -CLOCK_SKEW_S;
  };

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (matches(bearer(request.headers.authorization), tokenDigest)) return;
    const cookies = request.headers.cookie;
    if (validSession(cookie(cookies, ADMIN_COOKIE_SECURE)) || validSession(cookie(cookies, ADMIN_COOKIE)))
      return;
    const query = request.query as Record<string, unknown> | undefined;
    const offered = typeof query?.token === 'string' ? query.token : undefined;
    if (request.method === 'GET' && request.routeOptions.url === '/' && matches(offered, tokenDigest)) {
      const issued = String(Math.floor(now() / 1000));
      const secure = isHttps(request);
      const name = secure ? ADMIN_COOKIE_SECURE : ADMIN_COOKIE;
      await reply
        .code(303)
        .header('location', '/')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header(
          'set-cookie',
          `${name}=${issued}.${sessionMac(issued)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${ADMIN_SESSION_S}${secure ? '; Secure' : ''}`,
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
