import fc from 'fast-check';
import type { Channel, Delivery } from '../../src/channels/channel.js';
import type { AccountSecurity } from '../../src/contracts/account-security.js';
import { channelsFor } from '../../src/contracts/profile-channels.js';
import { AppError } from '../../src/errors.js';
import type { OutRecord, Publisher } from '../../src/kafka/publisher.js';
import { backoffDelayMs, retryTier } from '../../src/notify/backoff.js';
import { createDispatcher, type DeliveryJob } from '../../src/notify/dispatch.js';
import { silentLogger } from '../../src/observe/logger.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { WriteOp } from '../../src/state/store.js';
import { dispatcherConfig, stubRenderer } from '../support/delivery-kit.js';

const STEPS = [1_000, 5_000, 30_000, 120_000, 600_000];

describe('backoffDelayMs', () => {
  it('uses the step for the attempt and the last step once the steps run out', () => {
    const mid = () => 0.5; // no jitter: 0.8 + 0.4 × 0.5 = 1
    expect(backoffDelayMs(STEPS, 2, mid)).toBe(1_000);
    expect(backoffDelayMs(STEPS, 3, mid)).toBe(5_000);
    expect(backoffDelayMs(STEPS, 6, mid)).toBe(600_000);
    expect(backoffDelayMs(STEPS, 40, mid)).toBe(600_000);
  });

  it('stays within ±20% of the step whatever the random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const base = STEPS[Math.min(attempt - 2, STEPS.length - 1)]!;
          const d = backoffDelayMs(STEPS, attempt, () => r);
          return d >= base * 0.8 && d <= base * 1.2;
        },
      ),
    );
    expect(backoffDelayMs(STEPS, 2, () => 0)).toBe(800);
    expect(backoffDelayMs(STEPS, 2, () => 0.999_999)).toBe(1_200);
  });

  it('lets a longer Retry-After win and ignores a shorter one', () => {
    expect(backoffDelayMs(STEPS, 2, () => 0.5, 7)).toBe(7_000);
    expect(backoffDelayMs(STEPS, 3, () => 0.5, 1)).toBe(5_000);
    expect(backoffDelayMs(STEPS, 2, () => 0.5, 0)).toBe(1_000);
  });

  it('honours a Retry-After up to one hour and no further', () => {
    expect(backoffDelayMs(STEPS, 2, () => 0.5, 3_600)).toBe(3_600_000);
    expect(backoffDelayMs(STEPS, 2, () => 0.5, 365 * 24 * 3_600)).toBe(3_600_000);
    expect(backoffDelayMs(STEPS, 2, () => 0.5, Number.MAX_SAFE_INTEGER)).toBe(3_600_000);
  });
});

describe('retryTier', () => {
  it('puts every jittered delay of a step in that step’s tier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const tier = retryTier(
            STEPS,
            backoffDelayMs(STEPS, attempt, () => r),
            6,
          );
          return tier === Math.min(attempt - 2, STEPS.length - 1);
        },
      ),
    );
  });

  it('sends delays past the last step to the last tier, and never past the last partition', () => {
    expect(retryTier(STEPS, 3_600_000, 6)).toBe(4);
    expect(retryTier(STEPS, 3_600_000, 3)).toBe(2);
    expect(retryTier(STEPS, 0, 6)).toBe(0);
  });
});

describe('channelsFor', () => {
  const sub = { endpoint: 'https://push.example/1', keys: { p256dh: 'p', auth: 'a' } };
  const base: AccountSecurity = {
    account_id: 'acct-1',
    schema_version: 1,
    updated_at: '2026-01-01T00:00:00Z',
    advanced_security: { enrolled: true },
    contacts: { email: 'a@example.com', phone: '+15550001111', push_subscriptions: [sub] },
  };

  it('defaults to every channel that has a contact', () => {
    expect(channelsFor(base)).toEqual(['email', 'sms', 'push']);
    expect(channelsFor({ ...base, contacts: { phone: '+15550001111', push_subscriptions: [] } })).toEqual([
      'sms',
    ]);
  });

  it('keeps only the preferred channels that have a contact', () => {
    expect(channelsFor({ ...base, preferences: { channels: ['push', 'email'] } })).toEqual(['email', 'push']);
    expect(
      channelsFor({ ...base, contacts: { email: 'a@example.com' }, preferences: { channels: ['sms'] } }),
    ).toEqual([]);
  });

  it('plans no channel that is off in this deployment', () => {
    expect(channelsFor(base, { email: 'provider', sms: 'off', push: 'outbox' })).toEqual(['email', 'push']);
    expect(channelsFor(base, { email: 'off', sms: 'off', push: 'off' })).toEqual([]);
  });

  it('notifies nobody who is not enrolled, or has no profile', () => {
    expect(channelsFor({ ...base, advanced_security: { enrolled: false } })).toEqual([]);
    expect(channelsFor(undefined)).toEqual([]);
  });
});

describe('dispatcher retry routing', () => {
  it('writes a retry to the partition of its backoff tier, keyed by account', async () => {
    const store = createMemoryStore();
    const account = 'acct-9';
    const email = 'x@example.com';
    await store.write([
      {
        op: 'set',
        key: keys.profile(account),
        value: JSON.stringify({
          account_id: account,
          schema_version: 1,
          updated_at: '2026-01-01T00:00:00Z',
          advanced_security: { enrolled: true },
          contacts: { email },
        }),
      },
    ]);
    const published: OutRecord[] = [];
    const publisher: Publisher = { publish: async (r) => void published.push(...r), close: async () => {} };
    const sender: Channel = {
      name: 'email',
      send: async (_d: Delivery) => {
        throw new AppError('PROVIDER_UNAVAILABLE', 'down', { retryable: true });
      },
    };
    const dispatcher = createDispatcher({
      channel: 'email',
      sender,
      store,
      publisher,
      renderer: stubRenderer,
      config: dispatcherConfig({ maxAttempts: 5, backoffMs: STEPS }),
      log: silentLogger(),
      retryPartitions: 6,
    });
    const at = '2026-01-01T00:00:00Z';
    const job = (attempt: number): DeliveryJob => ({
      request: {
        id: `al_${attempt}`,
        account_id: account,
        kind: 'enrolled',
        channels: ['email'],
        occurred_at: at,
        requested_at: at,
      },
      channel: 'email',
      recipient: email,
      attempt,
      due_at: at,
    });
    for (const attempt of [1, 2, 3]) await dispatcher.run(job(attempt));
    const retries = published.filter((r) => r.topic === 'r');
    expect(retries.map((r) => [r.partition, r.key, r.headers?.tier])).toEqual([
      [0, account, '0'],
      [1, account, '1'],
      [2, account, '2'],
    ]);
    expect(
      published.filter((r) => r.topic === 'd').map((r) => (r.value as { status: string }).status),
    ).toEqual(['failed', 'failed', 'failed']);
    await store.close();
  });
});

describe('finishing a batch again after the store failed', () => {
  it('publishes its receipts once and writes the delivery log', async () => {
    const memory = createMemoryStore();
    const account = 'acct-again';
    const email = 'again@example.com';
    await memory.write([
      {
        op: 'set',
        key: keys.profile(account),
        value: JSON.stringify({
          account_id: account,
          schema_version: 1,
          updated_at: '2026-01-01T00:00:00Z',
          advanced_security: { enrolled: true },
          contacts: { email },
        }),
      },
    ]);
    // The batch's commit (the write of its `sent` marks) fails once; the send's own mark does not.
    let failWrites = 1;
    const commits = (ops: readonly WriteOp[]) => ops.some((o) => o.op === 'set' && o.value === 'sent');
    const store: typeof memory = Object.assign(Object.create(memory), {
      write: async (ops: Parameters<typeof memory.write>[0]) => {
        if (commits(ops) && failWrites-- > 0)
          throw new AppError('STORE_UNAVAILABLE', 'down', { retryable: true });
        return memory.write(ops);
      },
    });
    const published: OutRecord[] = [];
    const publisher: Publisher = { publish: async (r) => void published.push(...r), close: async () => {} };
    const sends: Delivery[] = [];
    const sender: Channel = {
      name: 'email',
      send: async (d: Delivery) => {
        sends.push(d);
        return {};
      },
    };
    const dispatcher = createDispatcher({
      channel: 'email',
      sender,
      store,
      publisher,
      renderer: stubRenderer,
      config: dispatcherConfig({ maxAttempts: 5, backoffMs: STEPS }),
      log: silentLogger(),
      retryPartitions: 6,
    });
    const at = '2026-01-01T00:00:00Z';
    const request = {
      id: 'al_again',
      account_id: account,
      kind: 'enrolled',
      channels: ['email'],
      occurred_at: at,
      requested_at: at,
    };
    const record = {
      topic: 'n',
      partition: 0,
      message: {
        key: Buffer.from(account),
        value: Buffer.from(JSON.stringify(request)),
        offset: '0',
        timestamp: '0',
        attributes: 0,
        headers: {},
      },
    };
    const tail = await dispatcher.requests([record]);
    await expect(tail!.finish()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const [accepted] = await memory.read([keys.delivery(account, 'al_again', 'email', email)]);
    expect(accepted).toMatch(/^accepted \d+$/);
    await tail!.finish();
    expect(sends).toHaveLength(1);
    const receipts = published
      .filter((r) => r.topic === 'd')
      .map((r) => (r.value as { status: string }).status);
    expect(receipts).toEqual(['sent']);
    const [mark] = await memory.read([keys.delivery(account, 'al_again', 'email', email)]);
    expect(mark).toBe('sent');
    await memory.close();
  });
});

describe('dropping a gone push subscription', () => {
  const account = 'acct-gone';
  const gone = { endpoint: 'https://fcm.googleapis.com/fcm/send/gone', keys: { p256dh: 'p', auth: 'a' } };
  const kept = { endpoint: 'https://fcm.googleapis.com/fcm/send/kept', keys: { p256dh: 'p', auth: 'a' } };
  const profileAt = (updated_at: string, subs: (typeof gone)[]) =>
    JSON.stringify({
      account_id: account,
      schema_version: 1,
      updated_at,
      advanced_security: { enrolled: true },
      contacts: { push_subscriptions: subs },
    });

  /** Sends one push to `gone`, which answers 410; `during` runs while the send is in flight. */
  async function pushToGone(during: (store: ReturnType<typeof createMemoryStore>) => Promise<void>) {
    const store = createMemoryStore();
    await store.write([
      { op: 'set', key: keys.profile(account), value: profileAt('2026-01-01T00:00:00Z', [gone, kept]) },
    ]);
    const publisher: Publisher = { publish: async () => {}, close: async () => {} };
    const sender: Channel = {
      name: 'push',
      send: async () => {
        await during(store);
        throw new AppError('SUBSCRIPTION_GONE', 'HTTP 410', { retryable: false });
      },
    };
    const dispatcher = createDispatcher({
      channel: 'push',
      sender,
      store,
      publisher,
      renderer: stubRenderer,
      config: dispatcherConfig({ maxAttempts: 5, backoffMs: STEPS }),
      log: silentLogger(),
    });
    const at = '2026-01-01T00:00:00Z';
    await dispatcher.run({
      request: {
        id: 'al_gone',
        account_id: account,
        kind: 'enrolled',
        channels: ['push'],
        occurred_at: at,
        requested_at: at,
      },
      channel: 'push',
      recipient: gone.endpoint,
      attempt: 1,
      due_at: at,
    });
    const [text] = await store.read([keys.profile(account)]);
    await store.close();
    return text === undefined
      ? undefined
      : (JSON.parse(text) as { updated_at: string; contacts: { push_subscriptions: (typeof gone)[] } });
  }

  it('removes it from the profile read before the send', async () => {
    const stored = await pushToGone(async () => {});
    expect(stored?.contacts.push_subscriptions.map((s) => s.endpoint)).toEqual([kept.endpoint]);
  });

  it('loses to a newer profile written while the push was in flight', async () => {
    const newer = profileAt('2026-01-02T00:00:00Z', [gone]);
    const stored = await pushToGone(async (store) => {
      await store.write([{ op: 'set', key: keys.profile(account), value: newer }]);
    });
    expect(stored?.updated_at).toBe('2026-01-02T00:00:00Z');
    expect(stored?.contacts.push_subscriptions.map((s) => s.endpoint)).toEqual([gone.endpoint]);
  });

  it('does not bring back a profile deleted while the push was in flight', async () => {
    const stored = await pushToGone(async (store) => {
      await store.deleteAccount(account);
    });
    expect(stored).toBeUndefined();
  });
});
