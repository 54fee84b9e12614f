/**
 * The in-process hand-off and the channel group's safety net: one send per request whichever gets
 * there, the group waits out the grace, and a failed hand-off is left to the group without receipts.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Channel, Delivery } from '../../src/channels/channel.js';
import type { NotificationRequest } from '../../src/contracts/notification.js';
import { AppError } from '../../src/errors.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import type { OutRecord } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/log/logger.js';
import { createDispatcher, type DeliveryJob } from '../../src/notify/dispatch.js';
import { createHandOff } from '../../src/runtime/handoff.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { dispatcherConfig, stubRenderer } from '../support/delivery-kit.js';
import { profile } from '../support/events.js';

async function setUp(handoffMs: number, fail: (attempt: number) => boolean = () => false) {
  const store = createMemoryStore();
  const account = `acct-${Math.random().toString(36).slice(2)}`;
  await store.write([{ op: 'set', key: keys.profile(account), value: JSON.stringify(profile(account)) }]);
  const published: OutRecord[] = [];
  const sends: { at: number; to: string }[] = [];
  let attempts = 0;
  const sender: Channel = {
    name: 'email',
    send: async (d: Delivery) => {
      attempts++;
      if (fail(attempts)) throw new AppError('PROVIDER_UNAVAILABLE', 'down', { retryable: true });
      sends.push({ at: Date.now(), to: (d as { to: string }).to });
      return {};
    },
  };
  const dispatcher = createDispatcher({
    channel: 'email',
    sender,
    store,
    publisher: { publish: async (r) => void published.push(...r), close: async () => {} },
    renderer: stubRenderer,
    config: dispatcherConfig({ maxAttempts: 5, backoffMs: [1_000, 5_000], handoffMs }),
    log: silentLogger(),
    retryPartitions: 6,
  });
  const request: NotificationRequest = {
    id: `al_${account}`,
    account_id: account,
    kind: 'enrolled',
    channels: ['email'],
    occurred_at: new Date().toISOString(),
    requested_at: new Date().toISOString(),
  };
  const record: InRecord = {
    topic: 'n',
    partition: 0,
    message: {
      key: Buffer.from(account),
      value: Buffer.from(JSON.stringify(request)),
      offset: '0',
    } as KafkaMessage,
  };
  const statuses = () =>
    published.filter((r) => r.topic === 'd').map((r) => (r.value as { status: string }).status);
  return { dispatcher, request, record, sends, statuses, published, store };
}

describe('delivery hand-off', () => {
  it('sends at once in process; the channel group, after its grace, finds it sent and sends nothing', async () => {
    const t = await setUp(300);
    const handOff = createHandOff({ email: t.dispatcher } as never, silentLogger());
    const started = Date.now();
    handOff([t.request]);
    await handOff.drain();
    expect(t.sends).toHaveLength(1);
    expect(t.sends[0]!.at - started).toBeLessThan(250);
    await t.dispatcher.requests([t.record]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290); // the group waited out the grace
    expect(t.sends).toHaveLength(1);
    expect(t.statuses()).toEqual(['sent']);
  });

  it('makes a failed hand-off an ordinary first attempt: receipt, retry; the group leaves it to the retry', async () => {
    const t = await setUp(50, (attempt) => attempt === 1);
    await t.dispatcher.handOff([t.request]);
    expect(t.sends).toHaveLength(0);
    expect(t.statuses()).toEqual(['failed']);
    const retry = t.published.find((r) => r.topic === 'r');
    expect(retry).toBeDefined();
    await t.dispatcher.requests([t.record]); // the group after its grace: the retry marker is not its to take
    expect(t.sends).toHaveLength(0);
    expect(t.published.filter((r) => r.topic === 'r')).toHaveLength(1); // and no lease-wait record either
    await t.dispatcher.run(retry!.value as DeliveryJob); // the retried attempt takes over its marker
    expect(t.sends).toHaveLength(1);
    expect(t.statuses()).toEqual(['failed', 'sent']);
    await t.dispatcher.run(retry!.value as DeliveryJob); // a redelivered retry record sends nothing more
    expect(t.sends).toHaveLength(1);
  });

  it('without a hand-off (grace 0) the group delivers at once', async () => {
    const t = await setUp(0);
    const started = Date.now();
    await t.dispatcher.requests([t.record]);
    expect(t.sends).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(250);
  });

  it('skips a request for another channel', async () => {
    const t = await setUp(0);
    await t.dispatcher.handOff([{ ...t.request, channels: ['sms'] }]);
    expect(t.sends).toHaveLength(0);
  });
});
