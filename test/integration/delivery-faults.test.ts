/**
 * Provider faults through the whole pipeline on the real broker: throttling, gone subscriptions,
 * endless outages (dead-lettered while other deliveries flow), STOP replies, and a crash between
 * claim and send.
 */
import net from 'node:net';
import webpush from 'web-push';
import { createWebPushChannel } from '../../src/channels/webpush.js';
import type { NotificationRequest } from '../../src/contracts/notification.js';
import type { DeliveryReceipt, DlqRecord } from '../../src/contracts/records.js';
import { createDispatcher } from '../../src/notify/dispatch.js';
import { silentLogger } from '../../src/observe/logger.js';
import { keys } from '../../src/state/keys.js';
import { enrolQuietly, receipt, receiptsOf, storedProfile, until } from '../support/delivery-kit.js';
import { uniqueName } from '../support/env.js';
import { signIn } from '../support/events.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';
import { type PushService, startPushService } from '../support/push-service.js';
import { startTwilioFaults, type TwilioFaults } from '../support/twilio-faults.js';

const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:security@login-alerts.test' };
const MAX_ATTEMPTS = 3;

let push: PushService;
let twilio: TwilioFaults;
let t: TestPipeline;
let receipts: Watch;
let dlq: Watch;

beforeAll(async () => {
  [push, twilio] = await Promise.all([startPushService(), startTwilioFaults()]);
  t = await startTestPipeline('memory', {
    env: {
      DELIVERY_BACKOFF: '300ms,600ms,900ms',
      DELIVERY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
      TWILIO_AUTH_TOKEN: 'test-auth-token',
      TWILIO_FROM: '+15017122661',
      TWILIO_API_BASE_URL: twilio.url,
    },
    // The push service's certificate is self-signed: the channel gets an agent that trusts it. It
    // listens on 127.0.0.1, which only an exact entry in the allow-list lets the channel contact.
    channels: {
      push: createWebPushChannel({ vapid, agent: push.agent, timeoutMs: 5_000, allowedHosts: ['127.0.0.1'] }),
    },
  });
  receipts = await t.watch('deliveries');
  dlq = await t.watch('dlq');
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await Promise.allSettled([push?.close(), twilio?.close()]);
});

const receivedBy = (sub: { endpoint: string }) =>
  push.received.filter((m) => sub.endpoint.endsWith(`/${m.subscriptionId}`));
const pushReceipts = (account: string) => receiptsOf(receipts, account).filter((r) => r.channel === 'push');

async function pushAccount() {
  const sub = push.newSubscription(vapid.publicKey);
  const { account } = await enrolQuietly(t, { push_subscriptions: [sub] });
  return { account, sub };
}

describe('web push faults', () => {
  it('retries a 429 and delivers exactly one message on the second attempt', async () => {
    const { account, sub } = await pushAccount();
    push.script(sub.endpoint, 429);
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const sent = await receipt(receipts, account, (r) => r.status === 'sent');
    expect(pushReceipts(account).map((r) => [r.status, r.attempts, r.error_code])).toEqual([
      ['failed', 1, 'PROVIDER_THROTTLED'],
      ['sent', 2, undefined],
    ]);
    expect(sent.provider_message_id).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/m\/\d+$/);
    expect(receivedBy(sub)).toHaveLength(1);
    expect(receivedBy(sub)[0]?.payload).toMatchObject({ alert_id: sent.alert_id, kind: 'new_login' });
  });

  it('drops a subscription the push service reports gone (410) from the stored profile', async () => {
    const { account, sub } = await pushAccount();
    const keep = push.newSubscription(vapid.publicKey);
    const before = await storedProfile(t, account);
    // A second subscription on the same account must survive the removal.
    await t.publish('accountSecurity', [
      {
        key: account,
        value: {
          ...before,
          updated_at: new Date().toISOString(),
          contacts: { push_subscriptions: [sub, keep] },
        },
      },
    ]);
    await until(
      'both subscriptions stored',
      async () => (await storedProfile(t, account))?.contacts?.push_subscriptions?.length === 2,
    );
    push.script(sub.endpoint, 410);
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const expired = await receipt(receipts, account, (r) => r.status === 'expired');
    await receipt(receipts, account, (r) => r.status === 'sent');
    expect(expired).toMatchObject({ channel: 'push', attempts: 1, error_code: 'SUBSCRIPTION_GONE' });
    const stored = await storedProfile(t, account);
    expect(stored?.contacts?.push_subscriptions?.map((s) => s.endpoint)).toEqual([keep.endpoint]);
    expect(receivedBy(sub)).toHaveLength(0);
    expect(receivedBy(keep)).toHaveLength(1);
    // Not retried: a gone subscription is final.
    expect(
      pushReceipts(account)
        .map((r) => r.status)
        .sort(),
    ).toEqual(['expired', 'sent']);
  });

  it('dead-letters after the configured attempts of endless 5xx while other accounts keep receiving', async () => {
    // Baseline: sign-in to push receipt for a healthy account, with no failing provider in play.
    const latency = async (account: string) => {
      const started = Date.now();
      await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
      const sent = await receipt(receipts, account, (r) => r.status === 'sent');
      return Date.parse(sent.at) - started;
    };
    await latency((await pushAccount()).account); // warm-up: first connection, first JIT
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) baseline.push(await latency((await pushAccount()).account));

    const failing = await pushAccount();
    push.script(failing.sub.endpoint, ...Array.from({ length: 10 }, () => 503));
    const healthy = await Promise.all([pushAccount(), pushAccount(), pushAccount()]);
    const started = Date.now();
    await t.publish('authEvents', [{ key: failing.account, value: signIn(failing.account) }]);
    const during: number[] = [];
    // One healthy sign-in alongside the failing one's first attempt, two while it waits to retry.
    during.push(await latency(healthy[0]!.account));
    await receipt(receipts, failing.account, (r) => r.status === 'failed');
    during.push(await latency(healthy[1]!.account));
    await receipt(receipts, failing.account, (r) => r.status === 'failed' && r.attempts === 2);
    during.push(await latency(healthy[2]!.account));

    const final = await receipt(receipts, failing.account, (r) => r.error_code === 'RETRIES_EXHAUSTED');
    const [dead] = await dlq.waitFor(1, failing.account);
    const record = dead?.value as DlqRecord;
    expect(record.error.code).toBe('RETRIES_EXHAUSTED');
    const job = JSON.parse(Buffer.from(record.value ?? '', 'base64').toString('utf8')) as {
      channel: string;
      attempt: number;
      recipient: string;
    };
    expect(job).toMatchObject({ channel: 'push', attempt: MAX_ATTEMPTS, recipient: failing.sub.endpoint });
    expect(pushReceipts(failing.account).map((r) => [r.status, r.attempts, r.error_code])).toEqual([
      ['failed', 1, 'PROVIDER_UNAVAILABLE'],
      ['failed', 2, 'PROVIDER_UNAVAILABLE'],
      ['failed', 3, 'RETRIES_EXHAUSTED'],
    ]);
    expect(receivedBy(failing.sub)).toHaveLength(0);
    // Healthy deliveries went out while the failing one was still being retried.
    for (const h of healthy) expect(receivedBy(h.sub)).toHaveLength(1);
    for (const h of healthy.slice(0, 2)) {
      const sent = pushReceipts(h.account).find((r) => r.status === 'sent');
      expect(Date.parse(sent!.at)).toBeLessThan(Date.parse(final.at));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const report = {
      baseline_ms: baseline,
      during_failure_ms: during,
      added_median_ms: median(during) - median(baseline),
      failing_given_up_after_ms: Date.parse(final.at) - started,
    };
    console.info(`delivery latency with a failing push subscription: ${JSON.stringify(report)}`);
    // Generous bound: a failing recipient must not hold the channel for its backoff (~1 s here).
    expect(Math.max(...during)).toBeLessThan(median(baseline) + 1_000);
  });
});

describe('push endpoints outside the allow-list', () => {
  it('never contacts them, fails that push for good, and still delivers the email of the same alert', async () => {
    let connections = 0;
    const listener = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const port = (listener.address() as net.AddressInfo).port;
      const keys = push.newSubscription(vapid.publicKey).keys;
      // Both reach this machine: localhost is not listed, and 127.0.0.2 is not 127.0.0.1.
      const subs = [`https://localhost:${port}/p/1`, `https://127.0.0.2:${port}/p/2`].map((endpoint) => ({
        endpoint,
        keys,
      }));
      const { account } = await enrolQuietly(t, { email: `someone@example.test`, push_subscriptions: subs });
      await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
      const email = await receipt(receipts, account, (r) => r.channel === 'email' && r.status === 'sent');
      await until('both push receipts', () => pushReceipts(account).length >= 2 || undefined);
      expect(pushReceipts(account).map((r) => [r.status, r.attempts, r.error_code])).toEqual([
        ['failed', 1, 'PUSH_ENDPOINT_NOT_ALLOWED'],
        ['failed', 1, 'PUSH_ENDPOINT_NOT_ALLOWED'],
      ]);
      expect(pushReceipts(account).every((r) => r.alert_id === email.alert_id)).toBe(true);
      expect(connections).toBe(0);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});

describe('SMS faults', () => {
  it('suppresses a number that replied STOP (Twilio 21610) and sends it nothing more', async () => {
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const { account } = await enrolQuietly(t, { phone });
    const toPhone = () => twilio.requests.filter((r) => r.form.To === phone);
    twilio.next({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const first = await receipt(receipts, account, (r) => r.status === 'suppressed');
    expect(first).toMatchObject({ channel: 'sms', attempts: 1, error_code: 'RECIPIENT_UNSUBSCRIBED' });
    expect(toPhone()).toHaveLength(1);

    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const second = await receipt(
      receipts,
      account,
      (r) => r.status === 'suppressed' && r.alert_id !== first.alert_id,
    );
    expect(second.error_code).toBe('RECIPIENT_UNSUBSCRIBED');
    expect(toPhone()).toHaveLength(1);
    expect(receiptsOf(receipts, account).map((r) => r.status)).toEqual(['suppressed', 'suppressed']);
  });
});

describe('a crash between claim and send', () => {
  // Counted at the Twilio fault server, which never dedupes: a second send shows.
  const request = (account: string): NotificationRequest => {
    const now = new Date().toISOString();
    return {
      id: uniqueName('al'),
      account_id: account,
      kind: 'enrolled',
      channels: ['sms'],
      occurred_at: now,
      requested_at: now,
    };
  };

  it('sends exactly once, after the crashed sender’s lease lapses', async () => {
    const phone = `+1666${String(Date.now()).slice(-7)}`;
    const { account } = await enrolQuietly(t, { phone });
    const sends = () => twilio.requests.filter((r) => r.form.To === phone);
    const req = request(account);
    const leaseMs = 800;
    const { store } = t.pipeline.services;
    // The crashed sender: it claimed the delivery, then died before sending.
    const claimedAt = Date.now();
    const [claimed] = await store.claim([
      { key: keys.delivery(account, req.id, 'sms', phone), value: 'claimed', ttlMs: leaseMs },
    ]);
    expect(claimed).toBe(true);

    // The redelivered request meets the live claim and waits on the pipeline's retry topic.
    const redelivery = createDispatcher({
      channel: 'sms',
      sender: t.pipeline.services.channels.sms!,
      store,
      publisher: t.pipeline.services.publisher,
      renderer: t.pipeline.services.renderer,
      config: t.config,
      log: silentLogger(),
      leaseMs,
    });
    await redelivery.run({
      request: req,
      channel: 'sms',
      recipient: phone,
      attempt: 1,
      due_at: req.requested_at,
    });
    expect(sends()).toHaveLength(0);

    // The pipeline's retry consumer picks it up once the lease lapsed, and sends.
    const sent = await receipt(receipts, account, (r) => r.alert_id === req.id && r.status === 'sent');
    expect(sends()).toHaveLength(1);
    expect(Date.parse(sent.at)).toBeGreaterThanOrEqual(claimedAt + leaseMs);
    expect(sent).toMatchObject({ attempts: 1, provider_message_id: expect.stringMatching(/^SM/) });

    // Redelivered again afterwards (through the pipeline this time): nothing more is sent.
    const marker = request(account);
    await t.publish('notifications', [
      { key: account, value: req },
      { key: account, value: marker },
    ]);
    await receipt(receipts, account, (r) => r.alert_id === marker.id && r.status === 'sent');
    expect(sends()).toHaveLength(2); // the request once, the marker once
    expect(receiptsOf(receipts, account).filter((r: DeliveryReceipt) => r.alert_id === req.id)).toEqual([
      sent,
    ]);
  });
});
