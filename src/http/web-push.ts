import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { packagePath } from '../package-files.js';

/** The files an account service's web app loads for web push, shipped in the package's web/. */
const WEB_FILES = ['login-alerts-sw.js', 'login-alerts-subscribe.js'] as const;

/**
 * The browser side of web push on the public listener: `GET /push/vapid-public-key` (404 when push
 * is not configured) and the service worker and subscribe helper under `/push/`. The files are read
 * once, at start-up; what is served never depends on the request beyond its path.
 */
export function webPushRoutes(vapidPublicKey: string | undefined) {
  const files = new Map(WEB_FILES.map((name) => [name, readFileSync(packagePath('web', name), 'utf8')]));
  return async (app: FastifyInstance) => {
    app.get('/push/vapid-public-key', async (_request, reply) => {
      if (!vapidPublicKey) return reply.code(404).send({ error: 'web push is not configured' });
      return reply.header('cache-control', 'no-cache').send({ publicKey: vapidPublicKey });
    });
    for (const [name, body] of files) {
      app.get(`/push/${name}`, async (_request, reply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .headers({
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
            // The worker lives under /push/ but may control the whole origin when registered with scope '/'.
            ...(name === 'login-alerts-sw.js' ? { 'service-worker-allowed': '/' } : {}),
          })
          .send(body),
      );
    }
  };
}
