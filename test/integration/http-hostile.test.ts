/**
 * Hostile HTTP against a real `login-alerts run` process (on the harness's broker): malformed
 * requests at the byte level on both listeners, the two-listener split, and ADMIN_TOKEN.
 */
import { testEnv } from '../support/pipeline-harness.js';
import { rawRequest, responseComplete } from '../support/raw-http.js';
import {
  cleanOutbox,
  killAllChildren,
  type PipelineProc,
  spawnPipeline,
  waitUntil,
} from '../support/reliability.js';

const TOKEN = 'admin-token-for-the-hostile-test';
const HOST = 'Host: x\r\n';
const BROKEN_14K = `/r/${'A'.repeat(14_000)}%E0%A4%A`;

/** Each entry: a name, the bytes, and the status it must get (undefined: any 4xx or a closed socket). */
const CORPUS: { name: string; bytes: string | Buffer; status?: number }[] = [
  { name: 'double-slash path', bytes: `GET // HTTP/1.1\r\n${HOST}\r\n`, status: 404 },
  { name: 'lone percent in a link', bytes: `GET /r/% HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'truncated UTF-8 escape', bytes: `GET /r/%E0%A4%A HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: '14 KB path, broken escape', bytes: `GET ${BROKEN_14K} HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: '14 KB link token', bytes: `GET /r/${'A'.repeat(14_000)} HTTP/1.1\r\n${HOST}\r\n`, status: 414 },
  { name: 'absolute-form target', bytes: `GET http://x/ HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'asterisk target', bytes: `OPTIONS * HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'CONNECT', bytes: `CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n`, status: 405 },
  {
    name: 'huge header',
    bytes: `GET /healthz HTTP/1.1\r\n${HOST}X-A: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
  },
  { name: 'header without colon', bytes: `GET /healthz HTTP/1.1\r\n${HOST}NoColonHere\r\n\r\n`, status: 400 },
  {
    name: 'invalid chunked body',
    bytes: `POST /r/abc HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'Content-Length with Transfer-Encoding',
    bytes: `POST /r/abc HTTP/1.1\r\n${HOST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'oversized link body',
    bytes: `POST /r/abc HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\nContent-Length: 20000\r\n\r\n${'a'.repeat(20_000)}`,
    status: 413,
  },
  { name: 'NUL in the path', bytes: `GET /r/a\0b HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'NUL in a header', bytes: `GET /healthz HTTP/1.1\r\n${HOST}X-A: a\0b\r\n\r\n`, status: 400 },
  { name: 'HTTP/0.9 request line', bytes: 'GET /healthz\r\n\r\n' },
  { name: 'unknown method', bytes: `BREW /healthz HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'wrong method on a route', bytes: `DELETE /healthz HTTP/1.1\r\n${HOST}\r\n`, status: 404 },
  { name: 'missing Host', bytes: 'GET /healthz HTTP/1.1\r\n\r\n', status: 400 },
  {
    name: 'pipelined garbage',
    bytes: `GET /healthz HTTP/1.1\r\n${HOST}\r\n\x16\x03\x01\x00garbage\r\n\r\n`,
  },
  {
    name: 'non-ASCII bytes in the path',
    bytes: Buffer.concat([
      Buffer.from('GET /r/'),
      Buffer.from([0xc3, 0xa9, 0xff, 0xfe]),
      Buffer.from(` HTTP/1.1\r\n${HOST}\r\n`),
    ]),
    status: 400,
  },
];

let env: Record<string, string>;
let proc: PipelineProc;
let publicPort: number;
let adminPort: number;
const bearer = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  env = testEnv('memory', { ADMIN_TOKEN: TOKEN, PUBLIC_BASE_URL: 'http://127.0.0.1:8080' });
  proc = await spawnPipeline('http-hostile', env);
  publicPort = Number(new URL(proc.httpUrl).port);
  adminPort = Number(new URL(proc.adminUrl).port);
  await waitUntil(
    'the pipeline to be ready',
    () => proc.ready(),
    60_000,
    () => proc.output(),
  );
}, 90_000);

afterAll(async () => {
  await proc?.stop();
  await killAllChildren();
  cleanOutbox(env);
});

const is5xx = (s: number) => s >= 500;

describe('hostile HTTP', () => {
  it('answers each malformed request with a 4xx or a closed socket, never a 5xx, on both listeners', async () => {
    // Headers that never finish: the header timeout must close the socket (408) on its own.
    const slowloris = rawRequest(publicPort, `GET /healthz HTTP/1.1\r\n${HOST}X-Slow: a`, { waitMs: 25_000 });
    const seen: string[] = [];
    for (const port of [publicPort, adminPort]) {
      for (const req of CORPUS) {
        const res = await rawRequest(port, req.bytes, { waitMs: 1_500, until: responseComplete });
        seen.push(
          `${port === publicPort ? 'public' : 'admin'} ${req.name}: ${res.statuses.join(',') || 'closed'}`,
        );
        expect(res.statuses.filter(is5xx)).toEqual([]);
        // The admin listener asks for the token first wherever a route could match.
        if (port === publicPort && req.status !== undefined)
          expect([req.name, res.statuses[0]]).toEqual([req.name, req.status]);
        else if (res.statuses.length > 0) expect(res.statuses.every((s) => s >= 200 && s < 500)).toBe(true);
      }
    }
    const slow = await slowloris;
    expect(slow.closedByServer).toBe(true);
    expect(slow.statuses).toEqual([408]);
    expect((await fetch(`${proc.httpUrl}/healthz`)).status).toBe(200);
    expect(proc.alive()).toBe(true);
    // The raw 14 KB path never reaches the log, whatever the level.
    expect(proc.output()).not.toContain('A'.repeat(200));
    console.log(seen.join('\n'));
  }, 60_000);

  it('answers a 14 KB path with a broken escape well under a second, and ten at once leave /healthz answering', async () => {
    const one = await rawRequest(publicPort, `GET ${BROKEN_14K} HTTP/1.1\r\n${HOST}\r\n`, {
      until: responseComplete,
    });
    expect(one.statuses).toEqual([400]);
    expect(one.ms).toBeLessThan(1_000);

    const ten = Array.from({ length: 10 }, () =>
      rawRequest(publicPort, `GET ${BROKEN_14K} HTTP/1.1\r\n${HOST}\r\n`, { until: responseComplete }),
    );
    const started = performance.now();
    const health = await fetch(`${proc.httpUrl}/healthz`);
    const healthMs = performance.now() - started;
    const all = await Promise.all(ten);
    expect(health.status).toBe(200);
    expect(healthMs).toBeLessThan(1_000);
    expect(all.map((r) => r.statuses[0])).toEqual(Array(10).fill(400));
    console.log(
      `14 KB path: ${one.ms.toFixed(1)} ms alone; /healthz beside ten of them: ${healthMs.toFixed(1)} ms; slowest of the ten: ${Math.max(...all.map((r) => r.ms)).toFixed(1)} ms`,
    );
  });

  it('serves only link pages, /healthz and a status-only /readyz on the public listener', async () => {
    for (const path of ['/', '/api/alerts', '/api/alerts/stream', '/api/outcomes', '/metrics']) {
      const res = await fetch(`${proc.httpUrl}${path}`, { headers: bearer });
      expect([path, res.status]).toEqual([path, 404]);
      await res.text();
    }
    const ready = await fetch(`${proc.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('{"ready":true}');
    const link = await fetch(`${proc.httpUrl}/r/not-a-token`);
    expect(link.status).toBe(400);
    expect(await link.text()).toContain('<html');
  });

  it('asks for ADMIN_TOKEN on every admin request: 401 without or with a wrong one, 200 with it', async () => {
    for (const path of ['/', '/api/alerts', '/api/outcomes', '/metrics', '/readyz', '/nothing-here']) {
      const none = await fetch(`${proc.adminUrl}${path}`);
      const wrong = await fetch(`${proc.adminUrl}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      const right = await fetch(`${proc.adminUrl}${path}`, { headers: bearer });
      expect([path, none.status, wrong.status, right.status]).toEqual([
        path,
        401,
        401,
        path === '/nothing-here' ? 404 : 200,
      ]);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      await Promise.all([none.text(), wrong.text(), right.text()]);
    }
    const metrics = await (await fetch(`${proc.adminUrl}/metrics`, { headers: bearer })).text();
    expect(metrics).toContain('login_alerts_events_total');
    const ready = (await (await fetch(`${proc.adminUrl}/readyz`, { headers: bearer })).json()) as {
      ready: boolean;
      parts: Record<string, { ok: boolean }>;
    };
    expect(ready.ready).toBe(true);
    expect(Object.keys(ready.parts).sort()).toEqual(expect.arrayContaining(['kafka', 'store']));
  });

  it('lets a browser in once with ?token=: a redirect that sets an HttpOnly SameSite=Strict cookie', async () => {
    const wrong = await fetch(`${proc.adminUrl}/?token=${TOKEN}x`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(`${proc.adminUrl}/?token=${encodeURIComponent(TOKEN)}`, {
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;
    const page = await fetch(`${proc.adminUrl}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('EventSource');
    const stream = new AbortController();
    const events = await fetch(`${proc.adminUrl}/api/alerts/stream`, {
      headers: { cookie },
      signal: stream.signal,
    });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    stream.abort();
    // The cookie is not a bearer token.
    const asBearer = await fetch(`${proc.adminUrl}/api/alerts`, {
      headers: { authorization: `Bearer ${cookie.split('=')[1]}` },
    });
    expect(asBearer.status).toBe(401);
  });

  it('refuses an admin request for a foreign Host (DNS rebinding) with 421, with or without the token', async () => {
    for (const auth of ['', `Authorization: Bearer ${TOKEN}\r\n`]) {
      const res = await rawRequest(
        adminPort,
        `GET /api/alerts HTTP/1.1\r\nHost: rebind.example:${adminPort}\r\n${auth}\r\n`,
        { until: responseComplete },
      );
      expect([auth !== '', res.statuses]).toEqual([auth !== '', [421]]);
      expect(res.text).toContain('{"error":"misdirected request"}');
    }
    const ok = await rawRequest(
      adminPort,
      `GET /api/alerts HTTP/1.1\r\nHost: localhost:${adminPort}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
      { until: responseComplete },
    );
    expect(ok.statuses).toEqual([200]);
  });

  it('binds the admin listener to 127.0.0.1 only, the public one to every address', async () => {
    // 127.0.0.2 is another address of this machine (the loopback range): a listener bound to
    // 127.0.0.1 alone does not answer there, one bound to 0.0.0.0 does.
    const other = '127.0.0.2';
    const admin = await rawRequest(adminPort, `GET /readyz HTTP/1.1\r\n${HOST}\r\n`, { host: other });
    expect(admin.closedByServer && admin.statuses.length === 0).toBe(true);
    const pub = await rawRequest(publicPort, `GET /healthz HTTP/1.1\r\n${HOST}\r\n`, {
      host: other,
      until: responseComplete,
    });
    expect(pub.statuses).toEqual([200]);
  });
});
