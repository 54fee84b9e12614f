/**
 * Authenticators by name and unknown credentials through the real pipeline on the real broker: a
 * registered YubiKey is named in the alert and in the email sent, and a sign-in with a credential
 * the account never registered is flagged critical.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { accountPrefix, keys } from '../../src/state/keys.js';
import { redisUrl, uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline, type TestPipeline } from '../support/pipeline-harness.js';

const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

/** The outbox's email lines for `account` once `count` are there (the delivery consumer's output). */
async function emailsFor(dir: string, account: string, count: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = (await outboxLines<{ account_id: string; subject: string; text: string }>(dir)).filter(
      (e) => e.account_id === account,
    );
    if (mine.length >= count || Date.now() > deadline) return mine;
    await sleep(100);
  }
}

describe.each(['memory', 'redis'] as const)('authenticators by name with the %s store', (store) => {
  let t: TestPipeline;
  const accounts: string[] = [];
  beforeAll(async () => {
    t = await startTestPipeline(store);
  });
  afterAll(async () => {
    await t?.stop();
    if (t?.config.outboxDir) await rm(t.config.outboxDir, { recursive: true, force: true });
    if (store !== 'redis') return;
    const redis = new Redis(redisUrl());
    try {
      for (const account of accounts) {
        const mine = await redis.keys(`${accountPrefix(account)}*`);
        if (mine.length > 0) await redis.del(...mine);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('names a registered YubiKey when it signs in, and flags a credential never registered', async () => {
    const account = uniqueName('acct');
    accounts.push(account);
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account);
    const alerts = await t.watch('loginAlerts');
    const added = signIn(account, {
      type: 'credential.added',
      session_id: undefined,
      auth: { method: 'security_key', credential_id: 'cred-yubikey', aaguid: YUBIKEY_5 },
    });
    const withKey = signIn(account, { auth: { method: 'security_key', credential_id: 'cred-yubikey' } });
    const withOther = signIn(account, { auth: { method: 'security_key', credential_id: 'cred-stranger' } });
    await t.publish(
      'authEvents',
      [added, withKey, withOther].map((e) => ({ key: account, value: e })),
    );
    const mine = (await alerts.waitFor(3, account)).map((v) => v.value as LoginAlert);
    const byEvent = (id: string) => mine.find((a) => a.event_id === id);

    expect(byEvent(added.event_id)).toMatchObject({
      kind: 'account_change',
      authenticator: 'YubiKey 5 Series',
    });
    const known = byEvent(withKey.event_id);
    expect(known?.authenticator).toBe('YubiKey 5 Series');
    expect(known?.reasons).not.toContain('unknown_credential');
    const stranger = byEvent(withOther.event_id);
    expect(stranger?.reasons).toContain('unknown_credential');
    expect(stranger?.severity).toBe('critical');
    expect(stranger).not.toHaveProperty('authenticator');

    const emails = await emailsFor(t.config.outboxDir as string, account, 3);
    const texts = emails.map((e) => `${e.subject}\n${e.text}`).join('\n---\n');
    expect(texts).toContain('A new security key was added: YubiKey 5 Series');
    expect(texts).toContain('Signed in with your YubiKey 5 Series.');
    expect(texts).toContain('with a passkey or security key we never saw being added to your account');
    const [memory] = await t.pipeline.services.store.read([keys.credentials(account)]);
    expect(Object.keys(JSON.parse(memory as string).credentials)).toHaveLength(2);
  });
});
