/**
 * The browser side of web push in a real headless Chromium: the page registers the service worker
 * served by the public listener, DevTools delivers push messages to it (`ServiceWorker.deliverPushMessage`),
 * and the notifications Chromium shows are read back. Chromium cannot click a notification here (no
 * DevTools method, no OS notification centre), so the click is the worker's real `notificationclick`
 * listener run on the real notification with a synthetic event; `clients.openWindow` refuses a
 * synthetic event, so it is recorded instead of opening.
 */
import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import webpush from 'web-push';
import { encodePushPayload } from '../../src/channels/push-payload.js';
import { type RunningHttp, startHttpServers } from '../../src/http/server.js';
import { toPushPayload } from '../../src/notify/push.js';
import { createRenderer } from '../../src/notify/render.js';
import { Health } from '../../src/observe/health.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { launchChromium } from '../support/browser.js';

interface Shown {
  title: string;
  body: string;
  tag: string;
  requireInteraction: boolean;
  data: { url: string | null; settingsUrl: string | null };
}

const vapid = webpush.generateVAPIDKeys();
let http: RunningHttp;
let unconfigured: RunningHttp;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let worker: Worker;
let registrationId: string;
let base: string;

function listen(vapidPublicKey?: string): Promise<RunningHttp> {
  return startHttpServers({
    public: { host: '127.0.0.1', port: 0, trustProxyHops: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    health: new Health(),
    metrics: createMetrics(),
    log: createLogger('error', 'web-push-test'),
    ...(vapidPublicKey ? { vapidPublicKey } : {}),
  });
}

beforeAll(async () => {
  [http, unconfigured, browser] = await Promise.all([listen(vapid.publicKey), listen(), launchChromium()]);
  base = http.publicUrl;
  context = await browser.newContext();
  await context.grantPermissions(['notifications'], { origin: base });
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const live = registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(`${base}/push/`));
      if (live) resolve(live.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await page.goto(`${base}/healthz`);
  const workerSeen = context.waitForEvent('serviceworker');
  // The page loads the shipped subscribe helper and registers the worker with PUBLIC_BASE_URL.
  await page.evaluate(`(async () => {
    const helper = await import('/push/login-alerts-subscribe.js');
    await helper.registerLoginAlertsWorker({ baseUrl: ${JSON.stringify(base)} });
  })()`);
  [registrationId, worker] = await Promise.all([registered, workerSeen]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([http?.close(), unconfigured?.close()]);
});

/**
 * Delivers `data` as a push message and resolves to the notification it leaves showing. A DevTools
 * delivery is now and then lost before it reaches the worker (twice in about twenty full runs, under
 * load): after 3 s without the notification the same message is delivered again (at most twice more),
 * and the test's output says so. The same payload with the same tag replaces, never adds.
 */
async function push(data: string, expectTitle: string): Promise<Shown> {
  for (let delivery = 1; delivery <= 3; delivery++) {
    if (delivery > 1) console.warn(`push "${expectTitle}" not shown after 3 s: delivery ${delivery}`);
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data });
    const shown = await shownWithin(expectTitle, 3_000);
    if (shown) return shown;
  }
  throw new Error(`no notification titled ${expectTitle}`);
}

async function shownWithin(expectTitle: string, ms: number): Promise<Shown | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    // Browser code as text: this project's TypeScript has no DOM types.
    const shown = await page.evaluate<Shown[] | undefined>(`(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/push/');
      return (await reg?.getNotifications())?.map((n) => ({
        title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction, data: n.data,
      }));
    })()`);
    const hit = shown?.find((n) => n.title === expectTitle);
    if (hit) return hit;
    await page.waitForTimeout(50);
  }
  return undefined;
}

/**
 * Runs the worker's own notificationclick listener on the notification tagged `tag`, with
 * `clients.openWindow` recording the URL it is asked for; resolves to those URLs and the tags still shown.
 */
async function click(tag: string, action = ''): Promise<{ opened: string[]; left: string[] }> {
  return worker.evaluate(`(async () => {
    const opened = [];
    self.clients.openWindow = async (url) => {
      opened.push(url);
      return null;
    };
    const [notification] = await self.registration.getNotifications({ tag: ${JSON.stringify(tag)} });
    // waitUntil refuses an untrusted event once openWindow is called: that error is the event's.
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification, action: ${JSON.stringify(action)} }));
    // close() lands asynchronously: wait (at most 2 s) until the clicked one is gone, so a later push
    // with the same tag is never the one it closes.
    let left = [];
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = (await self.registration.getNotifications()).map((n) => n.tag);
      if (!left.includes(${JSON.stringify(tag)})) break;
    }
    return { opened, left };
  })()`);
}

describe('the public listener', () => {
  it('serves the VAPID public key, or 404 when push is not configured', async () => {
    const res = await fetch(`${base}/push/vapid-public-key`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ publicKey: vapid.publicKey });
    expect((await fetch(`${unconfigured.publicUrl}/push/vapid-public-key`)).status).toBe(404);
  });

  it("gives the page the key through the subscribe helper, as applicationServerKey's 65 bytes", async () => {
    const got = await page.evaluate<{ key: string; bytes: number; first: number }>(`(async () => {
      const helper = await import('/push/login-alerts-subscribe.js');
      const key = await helper.fetchVapidPublicKey(${JSON.stringify(base)});
      const bytes = helper.base64UrlToBytes(key);
      return { key, bytes: bytes.length, first: bytes[0] };
    })()`);
    expect(got).toEqual({ key: vapid.publicKey, bytes: 65, first: 4 });
  });

  it('serves the worker as JavaScript that may control the whole origin', async () => {
    const res = await fetch(`${base}/push/login-alerts-sw.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('service-worker-allowed')).toBe('/');
    expect(await res.text()).toContain("addEventListener('notificationclick'");
    const helper = await fetch(`${base}/push/login-alerts-subscribe.js`);
    expect(helper.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/push/other.js`)).status).toBe(404);
  });
});

describe('the service worker in Chromium', () => {
  it('shows a rendered critical alert and opens its "This wasn\'t me" link on click', async () => {
    const reportUrl = `${base}/r/AQAAAAA.abcdefghijklmnopqrstuv`;
    const rendered = createRenderer().render({
      kind: 'new_login',
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
      occurredAt: '2026-11-24T17:05:00Z',
      product: 'platform',
      method: 'password',
      device: { browser: 'Firefox', os: 'Windows', device_type: 'desktop' },
      geo: { network: 'public', city: 'Tokyo', country_code: 'JP' },
      severity: 'critical',
      reasons: ['new_device', 'new_country'],
      reportUrl,
      settingsUrl: `${base}/settings`,
    });
    const payload = toPushPayload(rendered.push, {
      url: reportUrl,
      kind: 'new_login',
      severity: 'critical',
      alertId: 'alert-1',
    });
    const shown = await push(encodePushPayload(payload), payload.title);
    expect(shown).toMatchObject({ body: payload.body, tag: 'critical', requireInteraction: true });
    expect(payload.title).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    const { opened, left } = await click('critical');
    expect(opened).toEqual([reportUrl]);
    expect(left).not.toContain('critical');
  });

  it('opens the security settings for the settings action', async () => {
    await push(JSON.stringify({ title: 'Warn', body: 'b', url: `${base}/r/x`, severity: 'warning' }), 'Warn');
    expect(await click('warning', 'settings')).toMatchObject({ opened: [`${base}/settings`] });
  });

  it.each([
    ['not JSON', '{"title": "Pwned", '],
    ['a JSON array', '["Pwned"]'],
    ['too long', JSON.stringify({ title: 'Pwned', body: 'x'.repeat(5000), url: '/r/x' })],
  ])('shows the generic notice for a payload that is %s, which opens only the settings', async (_l, data) => {
    const shown = await push(data, 'Security alert');
    expect(shown).toMatchObject({ tag: 'info', requireInteraction: false, data: { url: null } });
    expect(await click('info')).toMatchObject({ opened: [`${base}/settings`] });
  });

  it.each([
    ['a javascript: URL', 'javascript:alert(1)'],
    ['another origin', 'https://evil.example/r/x'],
    ['a look-alike host', '{base}.evil.example/r/x'],
    ['credentials in the URL', 'http://user:pw@{base}/r/x'],
  ])('never opens %s: the click goes to the settings under the base', async (label, template) => {
    // `base` is known once the listener runs: {base} stands for it (credentials go before its host).
    const url = template
      .replace('http://user:pw@{base}', base.replace('http://', 'http://user:pw@'))
      .replace('{base}', base);
    const title = `Hostile ${label}`;
    const shown = await push(JSON.stringify({ title, body: 'b', url, severity: 'info' }), title);
    expect(shown.data.url).toBeNull();
    expect(await click('info')).toMatchObject({ opened: [`${base}/settings`] });
  });
});
