import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors.js';
import type { Health } from '../observe/health.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { OutcomeLog } from '../observe/outcomes.js';
import { adminRoutes } from './admin.js';
import { adminAuth, adminHostGuard } from './admin-auth.js';
import type { AlertFeed } from './alert-feed.js';
import { createHttpApp } from './app.js';
import { publicRoutes } from './public.js';
import type { LinkRateLimits } from './rate-limit.js';
import type { ReportLinkHandler } from './report-link.js';

export interface HttpDeps {
  public: { host: string; port: number; trustProxyHops: number };
  /** `allowedHosts`: names the admin `Host` header may carry besides loopback and `host`. */
  admin: { host: string; port: number; token?: string; allowedHosts?: readonly string[] };
  health: Health;
  metrics: Metrics;
  log: Logger;
  feed?: AlertFeed;
  outcomes?: OutcomeLog;
  reportLink?: ReportLinkHandler;
  linkRateLimits?: Partial<LinkRateLimits>;
  /** VAPID_PUBLIC_KEY for `GET /push/vapid-public-key`; see PublicRoutesDeps. */
  vapidPublicKey?: string;
  /** More public routes (the ingest webhooks); see PublicRoutesDeps.plugins. */
  publicPlugins?: FastifyPluginAsync[];
}

export interface RunningHttp {
  /** The public listener, as a local client reaches it (a wildcard bind is shown as 127.0.0.1). */
  publicUrl: string;
  adminUrl: string;
  publicApp: FastifyInstance;
  adminApp: FastifyInstance;
  close(): Promise<void>;
}

/** Public webhook bodies (Auth0, Okta batches) may reach 1 MB; 413 beyond. */
const PUBLIC_BODY_LIMIT = 1024 * 1024;
/** No admin route reads a body. */
const ADMIN_BODY_LIMIT = 16 * 1024;
/** After this long closing, connections still open (a stalled client) are cut. */
const CLOSE_GRACE_MS = 5_000;

/** Starts both listeners (CONTRACT "HTTP: two listeners"); either failing to bind stops both. */
export async function startHttpServers(deps: HttpDeps): Promise<RunningHttp> {
  const publicApp = createHttpApp({
    name: 'public',
    log: deps.log,
    bodyLimit: PUBLIC_BODY_LIMIT,
    trustProxyHops: deps.public.trustProxyHops,
  });
  await publicApp.register(
    publicRoutes({
      health: deps.health,
      reportLink: deps.reportLink,
      linkRateLimits: deps.linkRateLimits,
      vapidPublicKey: deps.vapidPublicKey,
      plugins: deps.publicPlugins,
    }),
  );
  const adminApp = createHttpApp({ name: 'admin', log: deps.log, bodyLimit: ADMIN_BODY_LIMIT });
  // On the root instance, so they guard every request, unknown paths included: the Host check
  // first, so a request to a foreign name is refused whatever credentials it carries.
  adminApp.addHook('onRequest', adminHostGuard(deps.admin.host, deps.admin.allowedHosts ?? []));
  if (deps.admin.token) adminApp.addHook('onRequest', adminAuth(deps.admin.token));
  await adminApp.register(
    adminRoutes({
      health: deps.health,
      metrics: deps.metrics,
      feed: deps.feed,
      outcomes: deps.outcomes,
    }),
  );
  try {
    await listen(publicApp, deps.public, 'HTTP_HOST/HTTP_PORT');
    await listen(adminApp, deps.admin, 'ADMIN_HOST/ADMIN_PORT');
  } catch (err) {
    await Promise.allSettled([closeApp(publicApp), closeApp(adminApp)]);
    throw err;
  }
  return {
    publicUrl: listenerUrl(deps.public.host, (publicApp.server.address() as AddressInfo).port),
    adminUrl: listenerUrl(deps.admin.host, (adminApp.server.address() as AddressInfo).port),
    publicApp,
    adminApp,
    close: async () => {
      await Promise.allSettled([closeApp(publicApp), closeApp(adminApp)]);
    },
  };
}

/** The URL a local client uses for a listener bound to `host`: wildcards become loopback. */
export function listenerUrl(host: string, port: number): string {
  const local = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
}

async function listen(
  app: FastifyInstance,
  at: { host: string; port: number },
  variables: string,
): Promise<void> {
  try {
    await app.listen({ host: at.host, port: at.port });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new AppError('INTERNAL', `cannot listen on ${at.host}:${at.port} (${variables}): ${why}`, {
      cause: err,
    });
  }
}

/** Lets requests in flight finish (new ones get 503), then cuts whatever is still open. */
async function closeApp(app: FastifyInstance): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
