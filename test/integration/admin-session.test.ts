/** The admin session cookie over a real socket, with the hook's clock under the test's control. */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { ADMIN_COOKIE, ADMIN_COOKIE_SECURE, ADMIN_SESSION_S, adminAuth } from '../../src/http/admin-auth.js';

const TOKEN = 'admin-token-for-the-cookie-test';
const T0 = Date.parse('2026-12-06T08:00:00Z');

const apps: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

/** The admin hook on a bare listener with two routes; its URL. */
async function app(clock: { ms: number }, token = TOKEN): Promise<string> {
  const a = Fastify();
  apps.push(a);
  a.addHook('onRequest', adminAuth(token, { now: () => clock.ms }));
  a.get('/', async () => 'dashboard');
  a.get('/api/alerts', async () => []);
  await a.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
}

/** Signs in with the token; the Set-Cookie header, or '' when refused. */
async function signIn(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/?token=${encodeURIComponent(TOKEN)}`, { headers, redirect: 'manual' });
  await res.text();
  return res.status === 303 ? (res.headers.get('set-cookie') ?? '') : '';
}

async function status(url: string, cookie: string): Promise<number> {
  const res = await fetch(`${url}/api/alerts`, { headers: { cookie } });
  await res.text();
  return res.status;
}

describe('the admin session cookie', () => {
  it('carries its issue time under the MAC and is refused 12 h after issue, MAC or not', async () => {
    const clock = { ms: T0 };
    const a = await app(clock);
    const setCookie = await signIn(a);
    const pair = setCookie.split(';')[0]!;
    expect(pair).toMatch(new RegExp(`^${ADMIN_COOKIE}=${T0 / 1000}\\.[A-Za-z0-9_-]{43}$`));
    expect(setCookie).toContain(`Max-Age=${ADMIN_SESSION_S}`);
    expect(setCookie).not.toContain('Secure');
    expect(await status(a, pair)).toBe(200);
    clock.ms = T0 + ADMIN_SESSION_S * 1000 - 1000;
    expect(await status(a, pair)).toBe(200);
    // The browser was told Max-Age, but a copied cookie is still sent: the server refuses it.
    clock.ms = T0 + ADMIN_SESSION_S * 1000;
    expect(await status(a, pair)).toBe(401);
    clock.ms = T0 + 30 * 86_400_000;
    expect(await status(a, pair)).toBe(401);
  });

  it('refuses a cookie whose issue time was moved, or that another token signed', async () => {
    const clock = { ms: T0 };
    const a = await app(clock);
    const pair = (await signIn(a)).split(';')[0]!;
    const [, value] = pair.split('=') as [string, string];
    const [issued, mac] = value.split('.') as [string, string];
    clock.ms = T0 + ADMIN_SESSION_S * 1000 + 5_000;
    // Renewing the issue time without the token: the MAC no longer holds.
    const renewed = `${ADMIN_COOKIE}=${Number(issued) + ADMIN_SESSION_S}.${mac}`;
    expect(await status(a, renewed)).toBe(401);
    const fresh = (await signIn(a)).split(';')[0]!;
    expect(await status(a, fresh)).toBe(200);
    expect(await status(await app(clock, 'another-admin-token-0123456'), fresh)).toBe(401);
    // A cookie issued in the future (beyond a minute of clock skew) is not honoured either.
    const ahead = (await signIn(await app({ ms: T0 + 3_600_000 }))).split(';')[0]!;
    expect(await status(await app({ ms: T0 }), ahead)).toBe(401);
    for (const junk of ['x', `${issued}.`, `.${mac}`, `${issued}.${mac}x`, `-1.${mac}`, `1e3.${mac}`]) {
      expect(await status(a, `${ADMIN_COOKIE}=${junk}`)).toBe(401);
    }
  });

  it('uses a __Host- name, Secure, Path=/ and no Domain when the request came over https', async () => {
    const clock = { ms: T0 };
    const a = await app(clock);
    const setCookie = await signIn(a, { 'x-forwarded-proto': 'https' });
    expect(setCookie.startsWith(`${ADMIN_COOKIE_SECURE}=`)).toBe(true);
    expect(setCookie).toMatch(/; Secure\b/);
    expect(setCookie).toMatch(/; Path=\/;/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const pair = setCookie.split(';')[0]!;
    expect(await status(a, pair)).toBe(200);
    clock.ms = T0 + ADMIN_SESSION_S * 1000;
    expect(await status(a, pair)).toBe(401);
  });
});
