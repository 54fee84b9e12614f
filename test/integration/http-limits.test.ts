/**
 * The two listeners in-process, over real sockets: rate limits by client address (with trusted
 * proxy hops) and by link token, error handling, what reaches the log, the admin /readyz details,
 * and the public route extension point.
 */

import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../src/errors.js';
import { AlertFeed } from '../../src/http/alert-feed.js';
import type { ReportLinkHandler } from '../../src/http/report-link.js';
import { type HttpDeps, type RunningHttp, startHttpServers } from '../../src/http/server.js';
import { Health } from '../../src/observe/health.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { OutcomeLog } from '../../src/observe/outcomes.js';
import { rawRequest, responseComplete } from '../support/raw-http.js';

const logLines: string[] = [];
const log = createLogger(
  'debug',
  'http-test',
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  }),
);

const running: RunningHttp[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
});

/** Link pages that answer 400 for every token, unless a test swaps the handler. */
let linkHandler: ReportLinkHandler = async () => ({ status: 400, headers: {}, body: 'invalid' });

async function start(extra: Partial<HttpDeps> & { hops?: number } = {}): Promise<RunningHttp> {
  const health = extra.health ?? new Health();
  if (!extra.health) health.set('store', true);
  const http = await startHttpServers({
    public: { host: '127.0.0.1', port: 0, trustProxyHops: extra.hops ?? 0 },
    admin: { host: '127.0.0.1', port: 0 },
    health,
    metrics: createMetrics(),
    log,
    feed: new AlertFeed(),
    reportLink: (method, token) => linkHandler(method, token),
    linkRateLimits: { perAddress: 5, perToken: 3 },
    ...extra,
  });
  running.push(http);
  return http;
}

async function statusOf(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { headers, method });
  await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

describe('link page rate limits', () => {
  it('counts per client address, the entry TRUST_PROXY_HOPS=1 trusts, not what the client prepends', async () => {
    const http = await start({ hops: 1 });
    const from = (client: string, spoofed = '198.51.100.9') => ({
      'x-forwarded-for': `${spoofed}, ${client}`,
    });
    const first: number[] = [];
    for (let i = 0; i < 5; i++)
      first.push(
        (await statusOf(`${http.publicUrl}/r/tok-a${i}`, from('203.0.113.1', `10.0.0.${i}`))).status,
      );
    expect(first).toEqual([400, 400, 400, 400, 400]);
    const limited = await statusOf(`${http.publicUrl}/r/tok-a9`, from('203.0.113.1', '10.9.9.9'));
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    // Another client behind the same proxy has its own budget.
    expect((await statusOf(`${http.publicUrl}/r/tok-b`, from('203.0.113.2'))).status).toBe(400);
  });

  it('counts per link token, so one link cannot be hammered from many addresses', async () => {
    const http = await start({ hops: 1 });
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      statuses.push(
        (await statusOf(`${http.publicUrl}/r/the-link`, { 'x-forwarded-for': `203.0.113.${i}` })).status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    expect(
      (await statusOf(`${http.publicUrl}/r/another-link`, { 'x-forwarded-for': '203.0.113.1' })).status,
    ).toBe(400);
  });

  it('ignores X-Forwarded-For with TRUST_PROXY_HOPS=0: the socket address is the client', async () => {
    const http = await start({ hops: 0 });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      statuses.push(
        (await statusOf(`${http.publicUrl}/r/tok-${i}`, { 'x-forwarded-for': `203.0.113.${i}` })).status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
  });
});

describe('HTTP error handling and logs', () => {
  it('answers 503 with Retry-After for a retryable failure and 500 for a bug, and keeps serving', async () => {
    const http = await start();
    linkHandler = async (_m, token) => {
      if (token === 'store-down')
        throw new AppError('STORE_UNAVAILABLE', 'redis at 10.0.0.5:6379 refused', { retryable: true });
      throw new TypeError('cannot read properties of undefined');
    };
    try {
      const down = await statusOf(`${http.publicUrl}/r/store-down`);
      expect(down).toEqual({ status: 503, retryAfter: '30' });
      expect((await statusOf(`${http.publicUrl}/r/bug`)).status).toBe(500);
      expect((await statusOf(`${http.publicUrl}/healthz`)).status).toBe(200);
    } finally {
      linkHandler = async () => ({ status: 400, headers: {}, body: 'invalid' });
    }
    const failures = logLines.filter((l) => l.includes('http handler failed'));
    expect(failures.some((l) => l.includes('"code":"STORE_UNAVAILABLE"') && l.includes('10.0.x.x'))).toBe(
      true,
    );
    expect(failures.some((l) => l.includes('"code":"INTERNAL"') && l.includes('"route":"/r/:token"'))).toBe(
      true,
    );
  });

  it('logs the route pattern and status of each request, never the raw path', async () => {
    const http = await start();
    const port = Number(new URL(http.publicUrl).port);
    logLines.length = 0;
    await statusOf(`${http.publicUrl}/r/secret-link-token-value`);
    await statusOf(`${http.publicUrl}/private-looking-path`);
    await rawRequest(port, `GET /r/${'A'.repeat(14_000)}%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n`, {
      until: responseComplete,
    });
    await sleep(50); // the logger writes asynchronously
    const text = logLines.join('\n');
    expect(text).toContain('"route":"/r/:token"');
    expect(text).toContain('"route":"(unmatched)"');
    expect(text).toContain('"code":"FST_ERR_BAD_URL"');
    expect(text).not.toContain('secret-link-token-value');
    expect(text).not.toContain('private-looking-path');
    expect(text).not.toContain('AAAAAAAAAA');
  });
});

describe('the admin listener', () => {
  it('gives per-dependency readiness without internal addresses; the public /readyz only a status', async () => {
    const health = new Health();
    health.set('store', false, 'connect ECONNREFUSED 10.0.0.5:6379');
    health.set('kafka', false, 'Connection error: getaddrinfo ENOTFOUND kafka-0.internal.example');
    const http = await start({ health });
    const pub = await fetch(`${http.publicUrl}/readyz`);
    expect(pub.status).toBe(503);
    expect(await pub.text()).toBe('{"ready":false}');
    const admin = await fetch(`${http.adminUrl}/readyz`);
    expect(admin.status).toBe(503);
    expect(await admin.json()).toEqual({
      ready: false,
      parts: {
        store: { ok: false, detail: 'connect ECONNREFUSED [host]' },
        kafka: { ok: false, detail: 'Connection error: getaddrinfo ENOTFOUND [host]' },
      },
    });
  });

  it('serves the dashboard, the alert API and metrics without a token when ADMIN_TOKEN is unset', async () => {
    const outcomes = new OutcomeLog();
    outcomes.add({ event_id: 'ev-1', outcome: 'not_enrolled', at: new Date().toISOString() });
    const http = await start({ outcomes });
    for (const path of ['/', '/api/alerts', '/api/outcomes', '/metrics', '/readyz']) {
      expect([path, (await statusOf(`${http.adminUrl}${path}`)).status]).toEqual([path, 200]);
    }
    const one = await fetch(`${http.adminUrl}/api/outcomes?event_id=ev-1`);
    expect(((await one.json()) as { outcome: string }).outcome).toBe('not_enrolled');
    expect((await statusOf(`${http.adminUrl}/api/outcomes?event_id=a&event_id=b`)).status).toBe(400);
  });
});

describe('the admin listener’s own names (DNS rebinding)', () => {
  const TOKEN = 'admin-token-for-the-host-test';
  const get = (port: number, head: string) =>
    rawRequest(port, `GET /api/alerts HTTP/1.1\r\n${head}Connection: close\r\n\r\n`, {
      until: responseComplete,
    });
  const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

  it('refuses a foreign Host with 421, with and without a valid ADMIN_TOKEN', async () => {
    for (const token of [undefined, TOKEN]) {
      const http = await start({ admin: { host: '127.0.0.1', port: 0, token } });
      const port = Number(new URL(http.adminUrl).port);
      const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
      for (const host of [
        'rebind.example',
        'rebind.example:8081',
        'localhost.rebind.example',
        '127.0.0.1.nip.io',
      ]) {
        const res = await get(port, `Host: ${host}\r\n${auth}`);
        expect([token !== undefined, host, res.statuses]).toEqual([token !== undefined, host, [421]]);
        expect(JSON.parse(bodyOf(res.text))).toEqual({ error: 'misdirected request' });
      }
      // The same request to a loopback name passes (with the token where one is set).
      for (const host of ['localhost', `127.0.0.1:${port}`, '127.1.2.3', '[::1]:8081', 'LOCALHOST.']) {
        const res = await get(port, `Host: ${host}\r\n${auth}`);
        expect([host, res.statuses]).toEqual([host, [200]]);
      }
      // The public listener serves any name: it is meant to be reached by the public one.
      const pub = Number(new URL(http.publicUrl).port);
      const healthz = await rawRequest(pub, 'GET /healthz HTTP/1.1\r\nHost: rebind.example\r\n\r\n', {
        until: responseComplete,
      });
      expect(healthz.statuses).toEqual([200]);
    }
  });

  it('refuses a request without a Host: 421 for HTTP/1.0, 400 from Node for HTTP/1.1', async () => {
    const http = await start();
    const port = Number(new URL(http.adminUrl).port);
    const old = await rawRequest(port, 'GET /api/alerts HTTP/1.0\r\n\r\n', { until: responseComplete });
    expect(old.statuses).toEqual([421]);
    const missing = await rawRequest(port, 'GET /api/alerts HTTP/1.1\r\n\r\n', { until: responseComplete });
    expect(missing.statuses).toEqual([400]);
  });

  it('answers to ADMIN_HOST and the names in ADMIN_ALLOWED_HOSTS, port ignored', async () => {
    const http = await start({
      admin: { host: '127.0.0.1', port: 0, allowedHosts: ['admin.internal', 'login-alerts'] },
    });
    const port = Number(new URL(http.adminUrl).port);
    for (const [host, status] of [
      ['admin.internal', 200],
      ['Admin.Internal:9999', 200],
      ['login-alerts:8081', 200],
      ['admin.internal.rebind.example', 421],
      ['login-alerts.evil', 421],
    ] as const) {
      expect([host, (await get(port, `Host: ${host}\r\n`)).statuses]).toEqual([host, [status]]);
    }
  });
});

describe('the public route extension point', () => {
  it('registers a later module’s routes with the listener’s body limit and error handling', async () => {
    const ingest: FastifyPluginAsync = async (app) => {
      app.post('/ingest/test', async (request) => ({
        got: Array.isArray(request.body) ? request.body.length : -1,
      }));
    };
    const http = await start({ publicPlugins: [ingest] });
    const ok = await fetch(`${http.publicUrl}/ingest/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[1,2,3]',
    });
    expect(await ok.json()).toEqual({ got: 3 });
    const bad = await fetch(`${http.publicUrl}/ingest/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'bad request' });
    const huge = await fetch(`${http.publicUrl}/ingest/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `[${'1,'.repeat(600_000)}1]`,
    });
    expect(huge.status).toBe(413);
  });
});
