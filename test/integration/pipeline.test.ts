/** The login-events pipeline end to end on the real broker, with both state stores. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { accountPrefix } from '../../src/state/keys.js';
import { redisUrl, uniqueName } from '../support/env.js';
import { failedSignIn, IP_LONDON, IP_TOKYO, profile, signIn, UA_WIN_FIREFOX } from '../support/events.js';
import { startTestPipeline, type TestPipeline } from '../support/pipeline-harness.js';

describe.each(['memory', 'redis'] as const)('login-events pipeline with the %s store', (store) => {
  let t: TestPipeline;
  beforeAll(async () => {
    t = await startTestPipeline(store);
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function enrolled(): Promise<string> {
    const account = uniqueName('acct');
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account);
    return account;
  }

  const alertsFor = (values: { value: unknown }[], account: string) =>
    values.map((v) => v.value as LoginAlert).filter((a) => a.account_id === account);

  it('alerts once when the same session arrives three times and an event is redelivered', async () => {
    const account = await enrolled();
    const alerts = await t.watch('loginAlerts');
    const requests = await t.watch('notifications');
    const first = signIn(account);
    const again = [
      first,
      { ...first, event_id: `${first.event_id}-b` },
      { ...first, event_id: `${first.event_id}-c` },
      first,
    ];
    await t.publish(
      'authEvents',
      again.map((e) => ({ key: account, value: e })),
    );
    // A marker event after the repeats: once its alert is out, the repeats have been judged.
    const marker = signIn(account);
    await t.publish('authEvents', [{ key: account, value: marker }]);
    await alerts.waitFor(2, account);
    await sleep(300);
    const mine = alertsFor(alerts.values, account);
    expect(mine.map((a) => a.session_id)).toEqual([first.session_id, marker.session_id]);
    const reqs = requests.values.filter(
      (r) => r.key === account && (r.value as { kind: string }).kind !== 'enrolled',
    );
    expect(reqs).toHaveLength(2);
  });

  it('flags impossible travel and a new device as critical', async () => {
    const account = await enrolled();
    const alerts = await t.watch('loginAlerts');
    const t0 = Date.now() - 15 * 60_000;
    const london = signIn(account, {
      occurred_at: new Date(t0).toISOString(),
      client: { ip: IP_LONDON, device_id: 'mac-1' },
    });
    const tokyo = signIn(account, {
      occurred_at: new Date(t0 + 10 * 60_000).toISOString(),
      client: { ip: IP_TOKYO, user_agent: UA_WIN_FIREFOX, device_id: 'pc-2' },
    });
    await t.publish(
      'authEvents',
      [london, tokyo].map((e) => ({ key: account, value: e })),
    );
    await alerts.waitFor(2, account);
    const [first, second] = alertsFor(alerts.values, account);
    expect(first?.reasons).not.toContain('impossible_travel');
    expect(second?.severity).toBe('critical');
    expect(second?.reasons).toEqual(expect.arrayContaining(['impossible_travel', 'new_device']));
    expect(second?.geo?.country_code).toBe('JP');
  });

  it('marks a password sign-in on an enrolled account as a critical method downgrade', async () => {
    const account = await enrolled();
    const alerts = await t.watch('loginAlerts');
    await t.publish('authEvents', [
      { key: account, value: signIn(account, { auth: { method: 'password' } }) },
    ]);
    await alerts.waitFor(1, account);
    const [alert] = alertsFor(alerts.values, account);
    expect(alert?.severity).toBe('critical');
    expect(alert?.reasons).toContain('method_downgrade');
  });

  it('groups failures: one alert at three within 15 minutes, at most one more for ten more', async () => {
    const account = await enrolled();
    const alerts = await t.watch('loginAlerts');
    const base = Date.now() - 10 * 60_000;
    const failures = Array.from({ length: 13 }, (_, i) => failedSignIn(account, new Date(base + i * 20_000)));
    await t.publish(
      'authEvents',
      failures.slice(0, 3).map((e) => ({ key: account, value: e })),
    );
    await alerts.waitFor(1, account);
    await t.publish(
      'authEvents',
      failures.slice(3).map((e) => ({ key: account, value: e })),
    );
    const marker = signIn(account);
    await t.publish('authEvents', [{ key: account, value: marker }]);
    await alerts.waitFor(2, account);
    await sleep(300);
    const mine = alertsFor(alerts.values, account);
    const failureAlerts = mine.filter((a) => a.kind === 'failed_attempts');
    expect(failureAlerts.length).toBeGreaterThanOrEqual(1);
    expect(failureAlerts.length).toBeLessThanOrEqual(2);
    expect(failureAlerts[0]?.failure_count).toBe(3);
    expect(failureAlerts[0]?.severity).toBe('critical');
    expect(mine.at(-1)?.session_id).toBe(marker.session_id);
  });

  it('never notifies an account that is not enrolled', async () => {
    const account = uniqueName('acct');
    await t.publish('accountSecurity', [
      { key: account, value: profile(account, { advanced_security: { enrolled: false } }) },
    ]);
    await t.profileApplied(account);
    const alerts = await t.watch('loginAlerts');
    const outcomes = t.pipeline.services.outcomes;
    const event = signIn(account);
    await t.publish('authEvents', [{ key: account, value: event }]);
    const deadline = Date.now() + 10_000;
    while (!outcomes.get(event.event_id) && Date.now() < deadline) await sleep(50);
    expect(outcomes.get(event.event_id)?.outcome).toBe('not_enrolled');
    expect(alertsFor(alerts.values, account)).toHaveLength(0);
  });

  it('dead-letters bad records with the reason and keeps going', async () => {
    const account = await enrolled();
    const dlq = await t.watch('dlq');
    const alerts = await t.watch('loginAlerts');
    const bad = [
      'not json at all',
      '{"truncated":',
      JSON.stringify({ ...signIn(account), client: { ip: '999.1.1.1' } }),
      JSON.stringify({ ...signIn(account), occurred_at: new Date(Date.now() + 3_600_000).toISOString() }),
      JSON.stringify({ ...signIn(account), type: 'login.teleported' }),
    ];
    // Raw bytes through kafkajs: our publisher would JSON-encode them.
    const producer = t.pipeline.services.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: t.config.topics.authEvents,
      messages: bad.map((value) => ({ key: account, value })),
    });
    await producer.disconnect();
    const good = signIn(account);
    await t.publish('authEvents', [{ key: account, value: good }]);
    await alerts.waitFor(1, account);
    await dlq.waitFor(5, account);
    const mine = dlq.values.map(
      (v) => v.value as { source: { topic: string }; error: { code: string; message: string } },
    );
    const codes = mine.map((d) => d.error.code);
    expect(codes).toEqual(expect.arrayContaining(['INVALID_JSON', 'INVALID_EVENT', 'EVENT_IN_FUTURE']));
    expect(mine.every((d) => d.source.topic === t.config.topics.authEvents)).toBe(true);
    expect(mine.find((d) => d.error.message.includes('client.ip'))).toBeDefined();
    expect(alertsFor(alerts.values, account).map((a) => a.event_id)).toEqual([good.event_id]);
  });

  if (store === 'redis') {
    it('a tombstone leaves no key for the account in Redis', async () => {
      const account = await enrolled();
      const alerts = await t.watch('loginAlerts');
      await t.publish('authEvents', [
        { key: account, value: signIn(account) },
        { key: account, value: failedSignIn(account, new Date()) },
      ]);
      await alerts.waitFor(1, account);
      const redis = new Redis(redisUrl());
      try {
        const pattern = `${accountPrefix(account)}*`;
        expect((await redis.keys(pattern)).length).toBeGreaterThan(2);
        await t.publish('accountSecurity', [{ key: account, value: null }]);
        const deadline = Date.now() + 15_000;
        while ((await redis.keys(pattern)).length > 0 && Date.now() < deadline) await sleep(100);
        expect(await redis.keys(pattern)).toEqual([]);
      } finally {
        redis.disconnect();
      }
    });
  }
});
