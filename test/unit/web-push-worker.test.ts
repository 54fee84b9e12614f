// The service worker's decisions as plain functions, loaded from the shipped file in a bare `vm`
// context (no service worker scope, so it registers no listener): what a payload shows, and which URL
// a click may open. The browser test (test/e2e/web-push-worker.test.ts) runs the same file in Chromium.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import fc from 'fast-check';
import { PushSubscriptionSchema } from '../../src/contracts/account-security.js';
import { packagePath } from '../../src/package-files.js';

type Base = { origin: string; path: string } | null;
interface Worker {
  workerBase(location: string): Base;
  notificationFor(
    text: unknown,
    base: Base,
  ): {
    title: string;
    options: { body: string; tag: string; requireInteraction: boolean; data: { url: string | null } };
  };
  urlToOpen(data: unknown, action: string, base: Base): string | null;
}

/** The helper, loaded as the browser would load it (plain JavaScript, typed here by hand). */
const helper = (await import(pathToFileURL(packagePath('web', 'login-alerts-subscribe.js')).href)) as {
  toProfileSubscription(subscription: unknown): { expiration_time: number | null };
  base64UrlToBytes(text: string): Uint8Array;
};
const { base64UrlToBytes, toProfileSubscription } = helper;

const SOURCE = readFileSync(packagePath('web', 'login-alerts-sw.js'), 'utf8');
const sw = (() => {
  const context = vm.createContext({ URL });
  vm.runInContext(SOURCE, context);
  return context as unknown as Worker;
})();

const BASE = sw.workerBase(
  'https://app.example.com/push/login-alerts-sw.js?base=https%3A%2F%2Falerts.example.com%2Fla',
);

describe('the base a worker is registered with', () => {
  it('is the ?base= URL, else the worker origin; an unsafe base allows nothing', () => {
    expect(BASE).toEqual({ origin: 'https://alerts.example.com', path: '/la' });
    expect(sw.workerBase('https://app.example.com/sw.js')).toEqual({
      origin: 'https://app.example.com',
      path: '',
    });
    expect(sw.workerBase('http://localhost:8080/sw.js')).toEqual({
      origin: 'http://localhost:8080',
      path: '',
    });
    for (const bad of ['http%3A%2F%2Falerts.example.com', 'javascript%3Aalert(1)', 'nonsense', ''])
      expect(sw.workerBase(`https://app.example.com/sw.js?base=${bad}`)).toBeNull();
    expect(sw.urlToOpen({ url: 'https://alerts.example.com/r/x' }, '', null)).toBeNull();
  });
});

describe('which URL a click opens', () => {
  const settings = 'https://alerts.example.com/la/settings';
  it.each([
    ['the report link', 'https://alerts.example.com/la/r/abc', 'https://alerts.example.com/la/r/abc'],
    ['a path beside the base path', 'https://alerts.example.com/lax/r/abc', settings],
    ['a path that climbs out', 'https://alerts.example.com/la/../r/abc', settings],
    ['http on a public host', 'http://alerts.example.com/la/r/abc', settings],
    ['another origin', 'https://evil.example/la/r/abc', settings],
    ['a look-alike host', 'https://alerts.example.com.evil.example/la/r', settings],
    ['another port', 'https://alerts.example.com:8443/la/r/abc', settings],
    ['credentials', 'https://u:p@alerts.example.com/la/r/abc', settings],
    ['javascript:', 'javascript:alert(1)', settings],
    ['data:', 'data:text/html,<script>alert(1)</script>', settings],
    ['a huge URL', `https://alerts.example.com/la/r/${'a'.repeat(3000)}`, settings],
    ['a non-string', 42, settings],
  ])('%s', (_label, url, opened) => {
    expect(sw.urlToOpen({ url }, '', BASE)).toBe(opened);
  });

  it('the settings action opens the settings; data that is not an object opens the settings', () => {
    expect(sw.urlToOpen({ url: 'https://alerts.example.com/la/r/abc' }, 'settings', BASE)).toBe(settings);
    for (const data of [null, undefined, 'https://evil.example', [1]])
      expect(sw.urlToOpen(data, '', BASE)).toBe(settings);
    expect(sw.urlToOpen({ url: 'x', settingsUrl: 'https://evil.example/settings' }, '', BASE)).toBe(settings);
  });

  /** URLs made of pieces near the base: other schemes, hosts, ports, credentials, paths that climb. */
  const nearUrl = fc
    .tuple(
      fc.constantFrom('https://', 'HTTPS://', 'http://', 'javascript:', 'data:', '//', 'https:/', ''),
      fc.constantFrom(
        'alerts.example.com',
        'alerts.example.com.evil.example',
        'evil.example',
        'localhost',
        'u:p@alerts.example.com',
        'alerts.example.com:443',
        'alerts.example.com:8443',
        'ALERTS.example.com',
      ),
      fc.constantFrom('/la', '/la/', '/lax', '/la/..', '/la/%2e%2e/', '', '/LA', '\\la/'),
      fc.string(),
    )
    .map((parts) => parts.join(''));

  it('never opens anything outside the base, whatever the data', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), fc.oneof(nearUrl, fc.string()), (data, action, url) =>
        [data, { url }, { url, settingsUrl: url }].every((d) => {
          const opened = sw.urlToOpen(d, action, BASE);
          return opened === null || opened.startsWith('https://alerts.example.com/la/');
        }),
      ),
      { numRuns: 200 },
    );
  });
});

describe('what a push shows', () => {
  it('a login-alerts payload: title, body, severity as tag, requireInteraction for critical', () => {
    const n = sw.notificationFor(
      JSON.stringify({
        title: 'New sign-in',
        body: 'Firefox on Windows',
        url: 'https://alerts.example.com/la/r/t',
        severity: 'critical',
        kind: 'new_login',
        alert_id: 'a1',
      }),
      BASE,
    );
    expect(n.title).toBe('New sign-in');
    expect(n.options).toMatchObject({
      body: 'Firefox on Windows',
      tag: 'critical',
      requireInteraction: true,
      data: { url: 'https://alerts.example.com/la/r/t' },
    });
    const warning = sw.notificationFor(JSON.stringify({ title: 't', body: 'b', severity: 'warning' }), BASE);
    expect(warning.options).toMatchObject({ tag: 'warning', requireInteraction: false, data: { url: null } });
  });

  it('caps title and body and drops control characters', () => {
    const n = sw.notificationFor(
      JSON.stringify({
        title: `a\u0007${'t'.repeat(500)}`,
        body: `${'b'.repeat(5000)}`.slice(0, 3000),
        severity: 'nope',
      }),
      BASE,
    );
    expect(n.title).toHaveLength(80);
    expect(n.title.startsWith('at')).toBe(true);
    expect(n.options.body).toHaveLength(240);
    expect(n.options.tag).toBe('info');
  });

  it('anything else: the generic notice, no link of its own', () => {
    for (const text of [
      null,
      '',
      'not json',
      '[]',
      'null',
      '"x"',
      '{"title":"t"}',
      '{"body":"b"}',
      'x'.repeat(5000),
      7,
    ]) {
      const n = sw.notificationFor(text, BASE);
      expect(n.title).toBe('Security alert');
      expect(n.options).toMatchObject({ tag: 'info', requireInteraction: false, data: { url: null } });
    }
  });

  it('the worker reaches no network: no fetch, beacon, socket or import', () => {
    expect(SOURCE).not.toMatch(
      /\b(fetch|importScripts|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import)\s*\(/,
    );
  });
});

describe('the subscribe helper', () => {
  it('turns a browser subscription into the profile shape', () => {
    const browserJson = {
      endpoint: 'https://fcm.googleapis.com/fcm/send/abc',
      expirationTime: null,
      keys: { p256dh: 'BPk', auth: 'au' },
    };
    const profile = toProfileSubscription({ toJSON: () => browserJson });
    expect(profile).toEqual({
      endpoint: browserJson.endpoint,
      keys: { p256dh: 'BPk', auth: 'au' },
      expiration_time: null,
    });
    expect(PushSubscriptionSchema.parse(profile)).toEqual(profile);
    expect(toProfileSubscription({ ...browserJson, expirationTime: 5 }).expiration_time).toBe(5);
    expect(() => toProfileSubscription({ ...browserJson, endpoint: 'http://x' })).toThrow(/https endpoint/);
    expect(() => toProfileSubscription({ endpoint: browserJson.endpoint })).toThrow(/keys/);
  });

  it('decodes a base64url VAPID key to the 65 bytes of an uncompressed P-256 point', () => {
    const key = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xfb)]).toString('base64url');
    const bytes = base64UrlToBytes(key);
    expect(bytes).toHaveLength(65);
    expect(Buffer.from(bytes).equals(Buffer.from(key, 'base64url'))).toBe(true);
  });
});
