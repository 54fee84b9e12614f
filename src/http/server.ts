import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { OutcomeLog } from '../pipeline/outcomes.js';
import type { AlertFeed } from './alert-feed.js';
import type { Health } from './health.js';
import type { Metrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';

export interface HttpDeps {
  port: number;
  host?: string;
  health: Health;
  metrics: Metrics;
  log: Logger;
  feed?: AlertFeed;
  outcomes?: OutcomeLog;
  reportLink?: (req: IncomingMessage, res: ServerResponse, token: string) => Promise<void>;
  /** Requests per minute per address on /r/ (default 30). */
  linkRateLimit?: number;
}

const DASHBOARD = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');

/** healthz, readyz, metrics, the signed-link pages and the security team's live dashboard. */
export async function startHttpServer(
  deps: HttpDeps,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const limiter = new RateLimiter(deps.linkRateLimit ?? 30);
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        return json(res, deps.health.ready ? 200 : 503, {
          ready: deps.health.ready,
          parts: deps.health.snapshot(),
        });
      }
      if (url.pathname === '/metrics') {
        const body = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(body);
        return;
      }
      if (url.pathname.startsWith('/r/') && deps.reportLink) {
        if (!limiter.allow(req.socket.remoteAddress ?? 'unknown')) {
          res.writeHead(429, { 'retry-after': '60', 'content-type': 'text/plain' }).end('Too many requests');
          return;
        }
        return await deps.reportLink(req, res, decodeURIComponent(url.pathname.slice(3)));
      }
      if (url.pathname === '/' && deps.feed) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy':
            "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        });
        res.end(DASHBOARD);
        return;
      }
      if (url.pathname === '/api/alerts' && deps.feed) return json(res, 200, deps.feed.recent());
      if (url.pathname === '/api/alerts/stream' && deps.feed) return stream(req, res, deps.feed);
      if (url.pathname === '/api/outcomes' && deps.outcomes) {
        const id = url.searchParams.get('event_id');
        return json(res, 200, id ? (deps.outcomes.get(id) ?? null) : deps.outcomes.recent(200));
      }
      json(res, 404, { error: 'not found' });
    } catch (err) {
      deps.log.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host ?? '0.0.0.0', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Server-sent events: the backlog first (oldest to newest), then each alert as it arrives. */
function stream(req: IncomingMessage, res: ServerResponse, feed: AlertFeed): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  for (const alert of feed.recent().reverse()) res.write(`data: ${JSON.stringify(alert)}\n\n`);
  const unsubscribe = feed.subscribe((alert) => res.write(`data: ${JSON.stringify(alert)}\n\n`));
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
  });
}
