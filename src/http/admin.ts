import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Health } from '../observe/health.js';
import type { Metrics } from '../observe/metrics.js';
import type { OutcomeLog } from '../observe/outcomes.js';
import type { AlertFeed } from './alert-feed.js';
import { readinessDetails } from './readiness.js';

export interface AdminRoutesDeps {
  health: Health;
  metrics: Metrics;
  feed?: AlertFeed;
  outcomes?: OutcomeLog;
}

const DASHBOARD = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');
const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * The security team's listener: the dashboard, `/api/*`, `/metrics`, and `/readyz` per dependency.
 * ADMIN_TOKEN is checked by the listener itself (server.ts), before routing, 404s included.
 */
export function adminRoutes(deps: AdminRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/readyz', async (_request, reply) => {
      const ready = deps.health.ready;
      return reply.code(ready ? 200 : 503).send({ ready, parts: readinessDetails(deps.health.snapshot()) });
    });
    app.get('/metrics', async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    });
    if (deps.feed) feedRoutes(app, deps.feed);
    if (deps.outcomes) outcomeRoutes(app, deps.outcomes);
  };
}

function feedRoutes(app: FastifyInstance, feed: AlertFeed): void {
  const streams = new Set<ServerResponse>();
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(DASHBOARD),
  );
  app.get('/api/alerts', async () => feed.alerts.recent());
  app.get('/api/responses', async () => feed.responses.recent());
  app.get('/api/alerts/stream', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    streams.add(res);
    const stop = stream(res, feed);
    request.raw.on('close', () => {
      stop();
      streams.delete(res);
    });
  });
  // Open event streams never go idle: end them so closing the listener does not wait on them.
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
}

/** Server-sent events: the backlog first (oldest to newest), then each alert as it arrives. */
function stream(res: ServerResponse, feed: AlertFeed): () => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  // Headers go out now, not with the first event: the client knows at once that the stream is open.
  res.flushHeaders();
  const send = (text: string) => {
    if (!res.writableEnded) res.write(text);
  };
  const alert = (a: object) => send(`data: ${JSON.stringify(a)}\n\n`);
  for (const a of feed.alerts.recent().reverse()) alert(a);
  const unsubscribe = feed.alerts.subscribe(alert);
  // Containment outcomes as their own event type, after the alerts they answer.
  const response = (r: object) => send(`event: response\ndata: ${JSON.stringify(r)}\n\n`);
  for (const r of feed.responses.recent().reverse()) response(r);
  const unsubscribeResponses = feed.responses.subscribe(response);
  const keepAlive = setInterval(() => send(': keep-alive\n\n'), SSE_KEEP_ALIVE_MS);
  return () => {
    clearInterval(keepAlive);
    unsubscribe();
    unsubscribeResponses();
  };
}

function outcomeRoutes(app: FastifyInstance, outcomes: OutcomeLog): void {
  app.get<{ Querystring: { event_id?: unknown } }>('/api/outcomes', async (request, reply) => {
    const id = request.query.event_id;
    if (id === undefined || id === '') return outcomes.recent(200);
    if (typeof id !== 'string' || id.length > 256) return reply.code(400).send({ error: 'bad request' });
    return outcomes.get(id) ?? null;
  });
}
