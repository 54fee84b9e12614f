import type { Channel, Delivery } from '../../src/channels/channel.js';
import type { OutRecord, Publisher } from '../../src/kafka/publisher.js';
import { createDispatcher, type DeliveryJob } from '../../src/notify/dispatch.js';
import { acceptedMark } from '../../src/notify/stages/record.js';
import { silentLogger } from '../../src/observe/logger.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { dispatcherConfig, stubRenderer } from '../support/delivery-kit.js';

const AT = '2026-01-01T00:00:00Z';
const LEASE_MS = 60_000;

/** A dispatcher over a memory store where `accounts` are enrolled, with its sends held until released. */
async function rig(accounts: string[], concurrency?: number) {
  const store = createMemoryStore();
  await store.write(
    accounts.map((a) => ({
      op: 'set' as const,
      key: keys.profile(a),
      value: JSON.stringify({
        account_id: a,
        schema_version: 1,
        updated_at: AT,
        advanced_security: { enrolled: true },
        contacts: { email: `${a}@example.com` },
      }),
    })),
  );
  const published: OutRecord[] = [];
  const publisher: Publisher = { publish: async (r) => void published.push(...r), close: async () => {} };
  const held: { d: Delivery; accept: () => void }[] = [];
  let underWay = 0;
  let mostUnderWay = 0;
  const sender: Channel = {
    name: 'email',
    send: (d: Delivery) => {
      underWay++;
      mostUnderWay = Math.max(mostUnderWay, underWay);
      return new Promise((resolve) => {
        held.push({
          d,
          accept: () => {
            underWay--;
            resolve({ providerMessageId: `msg-${d.alertId}` });
          },
        });
      });
    },
  };
  const dispatcher = createDispatcher({
    channel: 'email',
    sender,
    store,
    publisher,
    renderer: stubRenderer,
    config: dispatcherConfig({ maxAttempts: 5, backoffMs: [1_000, 5_000] }),
    log: silentLogger(),
    retryPartitions: 6,
    leaseMs: LEASE_MS,
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  const job = (account: string, alert: string): DeliveryJob => ({
    request: {
      id: alert,
      account_id: account,
      kind: 'enrolled',
      channels: ['email'],
      occurred_at: AT,
      requested_at: AT,
    },
    channel: 'email',
    recipient: `${account}@example.com`,
    attempt: 1,
    due_at: AT,
  });
  const record = (account: string, alert: string, offset: number) => ({
    topic: 'n',
    partition: 0,
    message: {
      key: Buffer.from(account),
      value: Buffer.from(JSON.stringify(job(account, alert).request)),
      offset: String(offset),
      timestamp: '0',
      attributes: 0,
      headers: {},
    },
  });
  const mark = async (account: string, alert: string) =>
    (await store.read([keys.delivery(account, alert, 'email', `${account}@example.com`)]))[0];
  const receipts = () =>
    published.filter((r) => r.topic === 'd').map((r) => r.value as { alert_id: string; status: string });
  return {
    store,
    dispatcher,
    held,
    job,
    record,
    mark,
    receipts,
    published: () => published,
    mostUnderWay: () => mostUnderWay,
  };
}

/** Lets pending callbacks and the recorder's next turn run. */
const turn = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await turn();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('recording a send as soon as the provider accepted it', () => {
  it('marks the send accepted while the rest of its batch is still being sent, and sent once the batch finishes', async () => {
    const r = await rig(['a1', 'a2']);
    const tail = await r.dispatcher.requests([r.record('a1', 'al_1', 0), r.record('a2', 'al_2', 1)]);
    await until('both sends under way', () => r.held.length === 2);
    r.held[0]!.accept();
    await until(
      'the first send recorded',
      async () => (await r.mark('a1', 'al_1'))?.startsWith('accepted ') ?? false,
    );
    expect(await r.mark('a1', 'al_1')).toMatch(/^accepted \d+ msg-al_1$/);
    expect(await r.mark('a2', 'al_2')).toBe('claimed');
    expect(r.receipts()).toEqual([]);
    r.held[1]!.accept();
    await tail!.finish();
    expect(await r.mark('a1', 'al_1')).toBe('sent');
    expect(await r.mark('a2', 'al_2')).toBe('sent');
    expect(r.receipts().map((x) => [x.alert_id, x.status])).toEqual([
      ['al_1', 'sent'],
      ['al_2', 'sent'],
    ]);
    await r.store.close();
  });

  it('keeps no more sends under way than its slots, over every batch in flight', async () => {
    const accounts = Array.from({ length: 15 }, (_, i) => `s${i}`);
    const r = await rig(accounts, 4);
    const tails = await Promise.all(
      [0, 1, 2].map((b) =>
        r.dispatcher.requests(accounts.slice(b * 5, b * 5 + 5).map((a, i) => r.record(a, `al_${a}`, i))),
      ),
    );
    let accepted = 0;
    while (accepted < accounts.length) {
      await until('a send under way', () => r.held.length > accepted);
      await turn();
      expect(r.held.length - accepted).toBeLessThanOrEqual(4);
      r.held[accepted++]!.accept();
    }
    await Promise.all(tails.map((t) => t!.finish()));
    expect(r.mostUnderWay()).toBe(4);
    expect(r.receipts().filter((x) => x.status === 'sent')).toHaveLength(accounts.length);
    await r.store.close();
  });
});

describe('a send another sender accepted and left unsettled', () => {
  it('is receipted once its lease has passed, and not sent again', async () => {
    const r = await rig(['g1']);
    const key = keys.delivery('g1', 'al_gone', 'email', 'g1@example.com');
    const mark = acceptedMark({ at: Date.now() - LEASE_MS - 1, providerMessageId: 'msg-x' });
    await r.store.write([{ op: 'set', key, value: mark }]);
    await r.dispatcher.run(r.job('g1', 'al_gone'));
    expect(r.held).toHaveLength(0);
    expect(r.receipts()).toEqual([
      expect.objectContaining({ alert_id: 'al_gone', status: 'sent', provider_message_id: 'msg-x' }),
    ]);
    expect(await r.mark('g1', 'al_gone')).toBe('sent');
    await r.store.close();
  });

  it('is looked at again when its lease ends, and neither sent nor receipted before', async () => {
    const r = await rig(['g2']);
    const key = keys.delivery('g2', 'al_recent', 'email', 'g2@example.com');
    const at = Date.now() - 10_000;
    await r.store.write([{ op: 'set', key, value: acceptedMark({ at }) }]);
    await r.dispatcher.run(r.job('g2', 'al_recent'));
    expect(r.held).toHaveLength(0);
    expect(r.receipts()).toEqual([]);
    expect(await r.mark('g2', 'al_recent')).toBe(acceptedMark({ at }));
    const retries = r
      .published()
      .filter((p) => p.topic === 'r')
      .map((p) => p.value as DeliveryJob);
    expect(retries).toHaveLength(1);
    expect(Math.abs(Date.parse(retries[0]!.due_at) - (at + LEASE_MS))).toBeLessThan(1_000);
    await r.store.close();
  });
});
