/** account.security → profile view, training exclusions and enrollment confirmations, on the real broker. */

import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.js';
import type { AccountSecurity } from '../../src/contracts/account-security.js';
import { silentLogger } from '../../src/observe/logger.js';
import { startPipeline } from '../../src/runtime/pipeline.js';
import { keys } from '../../src/state/keys.js';
import { uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { startTestPipeline, type TestPipeline, testEnv } from '../support/pipeline-harness.js';

describe.each(['memory', 'redis'] as const)('account profiles with the %s store', (store) => {
  let t: TestPipeline;
  beforeAll(async () => {
    t = await startTestPipeline(store);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const stored = async (account: string) => {
    const [text] = await t.pipeline.services.store.read([keys.profile(account)]);
    return text ? (JSON.parse(text) as AccountSecurity) : undefined;
  };

  it('never lets an older updated_at replace a newer profile', async () => {
    const account = uniqueName('acct');
    const newer = profile(account, {
      updated_at: '2026-11-20T10:00:00Z',
      contacts: { email: 'new@example.com' },
    });
    const older = profile(account, {
      updated_at: '2026-11-19T10:00:00Z',
      contacts: { email: 'old@example.com' },
    });
    const marker = uniqueName('acct');
    await t.publish('accountSecurity', [
      { key: account, value: newer },
      { key: account, value: older },
    ]);
    // Same partition order is per key; wait on the account itself, then give the older one time to land.
    await t.profileApplied(account);
    await t.publish('accountSecurity', [{ key: marker, value: profile(marker) }]);
    await t.profileApplied(marker);
    await sleep(200);
    expect((await stored(account))?.contacts?.email).toBe('new@example.com');
  });

  it('publishes the training exclusion and an enrolled confirmation on enrolling, and excluded=false on leaving', async () => {
    const account = uniqueName('acct');
    const exclusions = await t.watch('trainingExclusions');
    const requests = await t.watch('notifications');
    await t.publish('accountSecurity', [
      { key: account, value: profile(account, { updated_at: '2026-11-20T10:00:00Z' }) },
    ]);
    await exclusions.waitFor(1, account);
    await requests.waitFor(1, account);
    await t.publish('accountSecurity', [
      {
        key: account,
        value: profile(account, {
          updated_at: '2026-11-21T10:00:00Z',
          advanced_security: { enrolled: false },
        }),
      },
    ]);
    const both = await exclusions.waitFor(2, account);
    expect(both.map((r) => (r.value as { excluded: boolean }).excluded)).toEqual([true, false]);
    expect(both[0]?.value).toMatchObject({ account_id: account, reason: 'advanced_security_enrolled' });
    const notices = requests.values.filter((r) => r.key === account);
    expect(notices.map((r) => (r.value as { kind: string }).kind)).toEqual(['enrolled']);
  });

  it('a tombstone deletes the profile and every other key of the account', async () => {
    const account = uniqueName('acct');
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account);
    const alerts = await t.watch('loginAlerts');
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    await alerts.waitFor(1, account);
    await t.publish('accountSecurity', [{ key: account, value: null }]);
    const held = async () =>
      (await t.pipeline.services.store.read([keys.profile(account), keys.history(account)])).filter(Boolean);
    const deadline = Date.now() + 15_000;
    while ((await held()).length > 0 && Date.now() < deadline) await sleep(50);
    expect(await held()).toEqual([]);
  });

  it('dead-letters a profile that breaks the contract', async () => {
    const account = uniqueName('acct');
    const dlq = await t.watch('dlq');
    await t.publish('accountSecurity', [
      { key: account, value: { ...profile(account), contacts: { phone: '555-1234' } } },
    ]);
    const [record] = await dlq.waitFor(1, account);
    expect((record!.value as { error: { message: string } }).error.message).toMatch(
      /contacts\.phone: .*E\.164/,
    );
  });
});

describe('profile catch-up at start', () => {
  it('judges events only after the profile view reached the end of account.security (memory store, restart)', async () => {
    const env = testEnv('memory');
    const config = loadConfig(env);
    const first = await startPipeline(config, silentLogger(), { onProgress: () => {} });
    const account = uniqueName('acct');
    await first.services.publisher.publish([
      { topic: config.topics.accountSecurity, key: account, value: profile(account) },
    ]);
    const deadline = Date.now() + 15_000;
    while (!(await first.services.store.read([keys.profile(account)]))[0] && Date.now() < deadline)
      await sleep(50);
    await first.stop();

    // A fresh process with an empty memory store: the event must still be judged as enrolled.
    const second = await startPipeline(config, silentLogger(), { onProgress: () => {} });
    try {
      const [text] = await second.services.store.read([keys.profile(account)]);
      expect(text).toBeDefined();
      const event = signIn(account);
      await second.services.publisher.publish([
        { topic: config.topics.authEvents, key: account, value: event },
      ]);
      const until = Date.now() + 15_000;
      while (!second.services.outcomes.get(event.event_id) && Date.now() < until) await sleep(50);
      expect(second.services.outcomes.get(event.event_id)?.outcome).toBe('alerted');
    } finally {
      await second.stop();
    }
  });
});
