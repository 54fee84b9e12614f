import https from 'node:https';
import net from 'node:net';
import webpush from 'web-push';
import { createWebPushChannel, type HostResolver } from '../../src/channels/webpush.js';
import { loadConfig } from '../../src/config/config.js';
import { parseRetryAfter } from '../../src/errors.js';
import { failure } from '../support/app-error.js';
import { pushDelivery } from '../support/deliveries.js';
import { type PushService, startPushService } from '../support/push-service.js';

const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:security@login-alerts.test' };
let push: PushService;

beforeAll(async () => {
  push = await startPushService();
});
afterAll(async () => {
  await push?.close();
});

const channel = (over: Partial<Parameters<typeof createWebPushChannel>[0]> = {}) =>
  createWebPushChannel({ vapid, timeoutMs: 5000, agent: push.agent, allowedHosts: ['127.0.0.1'], ...over });

describe('Web Push channel against a verifying push service', () => {
  test('delivers an encrypted payload the subscriber can decrypt, with TTL, Urgency, Topic and valid VAPID', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    const d = pushDelivery(sub, { ttlS: 900, topic: 'acct-42-login' });
    const result = await channel().send(d);

    expect(result.providerMessageId).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/m\/\d+$/);
    const got = push.received.find((m) => sub.endpoint.endsWith(m.subscriptionId));
    expect(got).toBeDefined();
    expect(got?.payload).toEqual(d.payload);
    expect(got).toMatchObject({
      ttl: '900',
      urgency: 'normal',
      topic: 'acct-42-login',
      contentEncoding: 'aes128gcm',
    });
    expect(got?.vapid.k).toBe(vapid.publicKey);
    expect(got?.vapid.claims).toMatchObject({ aud: push.origin, sub: vapid.subject });
  });

  test('marks critical alerts high urgency and keeps topics within the URL-safe 32-character alphabet', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    const d = pushDelivery(sub, {
      severity: 'critical',
      urgency: 'normal',
      topic: 'acct 42/login:critical-and-much-longer',
    });
    await channel().send(d);
    const got = push.received.find((m) => sub.endpoint.endsWith(m.subscriptionId));
    expect(got?.urgency).toBe('high');
    expect(got?.topic).toBe('acct_42_login_critical-and-much-');
  });

  test('the service refuses a VAPID key other than the subscription’s (403 → PROVIDER_AUTH)', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    const other = { ...webpush.generateVAPIDKeys(), subject: vapid.subject };
    const err = await failure(channel({ vapid: other }).send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect(push.refused.at(-1)).toMatchObject({ status: 403 });
  });

  test('the service checks the JWT signature against k (a token signed by another key → 401)', async () => {
    const sub = push.newSubscription();
    const signer = webpush.generateVAPIDKeys();
    const headers = webpush.getVapidHeaders(
      push.origin,
      vapid.subject,
      signer.publicKey,
      signer.privateKey,
      'aes128gcm',
    );
    // Keep the token, swap in a different public key: only a real signature check notices.
    const forged = headers.Authorization.replace(/k=[\w-]+/, `k=${vapid.publicKey}`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = https.request(
        sub.endpoint,
        {
          method: 'POST',
          agent: push.agent,
          headers: { Authorization: forged, TTL: '60', 'Content-Encoding': 'aes128gcm' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(push.refused.at(-1)).toEqual({ status: 401, reason: 'bad signature' });
  });

  test.each([410, 404])('HTTP %i means the subscription is gone, not retryable', async (status) => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, status);
    const err = await failure(channel().send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'SUBSCRIPTION_GONE', retryable: false });
  });

  test('HTTP 429 with Retry-After: 7 is throttling, retryable after 7 s', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, { status: 429, headers: { 'Retry-After': '7' } });
    const err = await failure(channel().send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', retryable: true, retryAfterS: 7 });
  });

  test('HTTP 413 is PAYLOAD_TOO_LARGE, not retryable', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, 413);
    const err = await failure(channel().send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retryable: false });
  });

  test('HTTP 500 and 503 are retryable outages', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, 500, { status: 503, headers: { 'Retry-After': '30' } });
    const first = await failure(channel().send(pushDelivery(sub)));
    const second = await failure(channel().send(pushDelivery(sub)));
    expect(first).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(second).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true, retryAfterS: 30 });
  });

  test('a push service that never answers is a retryable PROVIDER_TIMEOUT', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, 'hang');
    const started = Date.now();
    const err = await failure(channel({ timeoutMs: 500 }).send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a payload over 3,993 bytes is refused before anything is sent', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    const d = pushDelivery(sub);
    d.payload.body = 'é'.repeat(2000); // 4,000 bytes of UTF-8 on its own
    const before = push.received.length + push.refused.length;
    const err = await failure(channel().send(d));
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retryable: false });
    expect(push.received.length + push.refused.length).toBe(before);
  });

  test('a payload of exactly 3,993 bytes fits in one record and is delivered', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    const d = pushDelivery(sub);
    d.payload.body = '';
    d.payload.body = 'x'.repeat(3993 - Buffer.byteLength(JSON.stringify(d.payload)));
    expect(Buffer.byteLength(JSON.stringify(d.payload))).toBe(3993);
    await channel().send(d);
    expect(push.received.at(-1)?.payload).toEqual(d.payload);
  });
});

describe('push endpoints the channel may not contact', () => {
  // A plain TCP listener: any connection attempt at all is counted, TLS or not.
  let listener: net.Server;
  let connections = 0;
  let port = 0;
  const lookups: string[] = [];
  /** Test names (the reserved .test domain) resolved to the listener's address. */
  const resolver: HostResolver = {
    async lookup(host) {
      lookups.push(host);
      if (!/\.test$|^localhost$/.test(host))
        throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    },
  };
  beforeAll(async () => {
    listener = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  const subscriptionOn = (host: string) => ({
    ...push.newSubscription(vapid.publicKey),
    endpoint: `https://${host}:${port}/push/abc`,
  });
  const guarded = (allowedHosts: string[]) =>
    createWebPushChannel({ vapid, timeoutMs: 2000, allowedHosts, resolver });

  test.each([
    ['an unlisted host', 'unlisted.test'],
    ['localhost, not listed', 'localhost'],
    ['a listed pattern’s name that resolves to 127.0.0.1', 'x.push.test'],
    ['127.0.0.1, not listed', '127.0.0.1'],
    ['an IPv4-mapped loopback literal', '[::ffff:127.0.0.1]'],
    ['a listed name as userinfo', 'fcm.googleapis.com@unlisted.test'],
  ])('%s is never contacted: PUSH_ENDPOINT_NOT_ALLOWED, not retryable', async (_what, host) => {
    const before = connections;
    const channel = guarded(['*.push.test', 'fcm.googleapis.com']);
    const err = await failure(channel.send(pushDelivery(subscriptionOn(host))));
    expect(err).toMatchObject({ code: 'PUSH_ENDPOINT_NOT_ALLOWED', retryable: false });
    expect(err.message).not.toContain('/push/abc');
    expect(connections).toBe(before);
  });

  test('an explicitly listed 127.0.0.1 is contacted', async () => {
    const before = connections;
    const err = await failure(guarded(['127.0.0.1']).send(pushDelivery(subscriptionOn('127.0.0.1'))));
    // The listener hangs up at once: a transport failure, not a refusal by the allow-list.
    expect(err.code).not.toBe('PUSH_ENDPOINT_NOT_ALLOWED');
    expect(connections).toBe(before + 1);
  });

  test('split-horizon DNS: a default-list host resolving to 127.0.0.1 is refused; listed by the operator, it is contacted', async () => {
    // An internal resolver that answers the push service's public name with an internal address.
    const splitHorizon: HostResolver = { lookup: async () => [{ address: '127.0.0.1', family: 4 }] };
    const subscription = subscriptionOn('fcm.googleapis.com');
    const fromConfig = (env: Record<string, string>) => {
      const config = loadConfig(env);
      return createWebPushChannel({
        vapid,
        timeoutMs: 2000,
        resolver: splitHorizon,
        allowedHosts: config.webPushAllowedHosts,
        trustExactHosts: config.webPushHostsListed,
      });
    };
    const before = connections;
    const err = await failure(fromConfig({}).send(pushDelivery(subscription)));
    expect(err).toMatchObject({ code: 'PUSH_ENDPOINT_NOT_ALLOWED', retryable: false });
    expect(err.message).toContain('fcm.googleapis.com resolves to a non-public address');
    expect(connections).toBe(before);
    // The operator naming it exactly in WEB_PUSH_ALLOWED_HOSTS is the opt-out the contract gives.
    const listed = await failure(
      fromConfig({ WEB_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com' }).send(pushDelivery(subscription)),
    );
    expect(listed.code).not.toBe('PUSH_ENDPOINT_NOT_ALLOWED');
    expect(connections).toBe(before + 1);
  });

  test('connects to the address it vetted, without a second lookup of the name', async () => {
    // svc.push.test exists only in the injected resolver: reaching the listener proves the
    // socket used the vetted address rather than asking DNS again.
    const before = connections;
    lookups.length = 0;
    const err = await failure(guarded(['svc.push.test']).send(pushDelivery(subscriptionOn('svc.push.test'))));
    expect(err.code).not.toBe('PUSH_ENDPOINT_NOT_ALLOWED');
    expect(lookups).toEqual(['svc.push.test']);
    expect(connections).toBe(before + 1);
  });
});

describe('hostile push service answers', () => {
  test('an endless answer body is cut off and judged by its status (503 → retryable), not left to time out', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, { status: 503, headers: { 'Retry-After': '12' }, endlessBody: true });
    const err = await failure(channel({ timeoutMs: 20_000 }).send(pushDelivery(sub)));
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true, retryAfterS: 12 });
    expect(err.message.length).toBeLessThan(300);
  });

  test('an endless body on a 201 still counts as sent', async () => {
    const sub = push.newSubscription(vapid.publicKey);
    push.script(sub.endpoint, {
      status: 201,
      headers: { location: `${push.origin}/m/endless` },
      endlessBody: true,
    });
    const result = await channel({ timeoutMs: 20_000 }).send(pushDelivery(sub));
    expect(result.providerMessageId).toBe(`${push.origin}/m/endless`);
  });
});

describe('Retry-After parsing', () => {
  test('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
