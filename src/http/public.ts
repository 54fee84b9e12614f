import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Health } from '../observe/health.js';
import { DEFAULT_LINK_RATE_LIMITS, type LinkRateLimits, linkRateLimit } from './rate-limit.js';
import type { ReportLinkHandler } from './report-link.js';
import { webPushRoutes } from './web-push.js';

export interface PublicRoutesDeps {
  health: Health;
  reportLink?: ReportLinkHandler;
  linkRateLimits?: Partial<LinkRateLimits>;
  /** VAPID_PUBLIC_KEY, served at `/push/vapid-public-key`; absent: that route answers 404. */
  vapidPublicKey?: string;
  /**
   * Further public routes (the ingest webhooks under `/ingest/…`), each registered in its own
   * encapsulated context: they inherit the listener's limits, error handler and rate-limit plugin
   * (`app.createRateLimit`), and what they add (parsers, hooks) stays theirs.
   */
  plugins?: FastifyPluginAsync[];
}

/** Link-page bodies: the confirm form posts one field (`scope`); anything else is bounded and dropped. */
const LINK_BODY_LIMIT = 8 * 1024;

/**
 * The internet-facing listener: `/r/<token>`, `GET /healthz`, `GET /readyz` with status only, the
 * web push files and VAPID public key under `/push/`, and whatever `plugins` add. Everything else is 404 (the app's not-found handler).
 */
export function publicRoutes(deps: PublicRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    await app.register(rateLimit, { global: false });
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const ready = deps.health.ready;
      return reply.code(ready ? 200 : 503).send({ ready });
    });
    if (deps.reportLink) await app.register(linkRoutes(deps.reportLink, deps.linkRateLimits));
    await app.register(webPushRoutes(deps.vapidPublicKey));
    for (const plugin of deps.plugins ?? []) await app.register(plugin);
  };
}

function linkRoutes(handle: ReportLinkHandler, limits: Partial<LinkRateLimits> = {}) {
  return async (app: FastifyInstance) => {
    // Whatever a form or a scanner posts is read up to the limit (413 beyond): no content type is
    // refused with 415, and only the confirm form's `scope` field is ever read from it.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: LINK_BODY_LIMIT }, (request, body, done) =>
      done(null, formScope(request.headers['content-type'], body as Buffer)),
    );
    const limited = linkRateLimit(app, { ...DEFAULT_LINK_RATE_LIMITS, ...limits });
    app.route<{ Params: { token: string } }>({
      method: ['GET', 'HEAD', 'POST'],
      url: '/r/:token',
      onRequest: limited,
      handler: async (request, reply) => {
        const method = request.method as 'GET' | 'HEAD' | 'POST';
        const scope = typeof request.body === 'string' ? request.body : undefined;
        const page = await handle(method, request.params.token, scope);
        return reply.code(page.status).headers(page.headers).send(page.body);
      },
    });
    app.route({
      method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: '/r/:token',
      handler: async (_request, reply) =>
        reply.code(405).header('allow', 'GET, HEAD, POST').send({ error: 'method not allowed' }),
    });
  };
}

/** The confirm form's `scope` (`session` or `everywhere`) from a urlencoded body; anything else: undefined. */
function formScope(contentType: string | undefined, body: Buffer): string | undefined {
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) return undefined;
  const scope = new URLSearchParams(body.toString('utf8')).get('scope');
  return scope === 'session' || scope === 'everywhere' ? scope : undefined;
}
