/**
 * The login-events chunk handler with records that break it: a decision that throws is dead-lettered
 * (PROCESSING_FAILED) with its state changes undone, the rest of the chunk is decided, and no odd but
 * valid event makes the handler throw.
 */
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import '../support/fast-check.js';
import { loadConfig } from '../../src/config/config.js';
import {
  AUTH_METHODS,
  type AuthEvent,
  EVENT_TYPES,
  FAILURE_REASONS,
} from '../../src/contracts/auth-event.js';
import type { DlqRecord } from '../../src/contracts/records.js';
import { createDeviceParser, type DeviceParser } from '../../src/enrich/device.js';
import { type GeoLookup, openGeo } from '../../src/enrich/geo.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import type { OutRecord } from '../../src/kafka/publisher.js';
import { createLoginEventsHandler } from '../../src/pipeline/login-events.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { profile, signIn } from '../support/events.js';

let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeo({});
});
afterAll(() => geo.close());

const config = loadConfig({});
const toRecords = (values: unknown[]): InRecord[] =>
  values.map((v, i) => ({
    topic: config.topics.authEvents,
    partition: 0,
    message: {
      key: Buffer.from('k'),
      value: Buffer.from(JSON.stringify(v)),
      offset: String(i),
      timestamp: String(Date.now()),
      attributes: 0,
      headers: {},
    } as KafkaMessage,
  }));

async function handlerFor(accounts: string[], devices: DeviceParser = createDeviceParser()) {
  const store = createMemoryStore();
  await store.write(
    accounts.map((a) => ({ op: 'set' as const, key: keys.profile(a), value: JSON.stringify(profile(a)) })),
  );
  const published: OutRecord[] = [];
  const handler = createLoginEventsHandler({
    store,
    devices,
    geo,
    publisher: { publish: async (r) => void published.push(...r), close: async () => {} },
    config,
  });
  return { handler, published };
}

describe('login-events with poison records', () => {
  it('dead-letters an event whose decision throws, undoes its state, and decides the rest of the chunk', async () => {
    const real = createDeviceParser();
    const devices: DeviceParser = {
      ...real,
      parse: (ua) => {
        if (ua === 'boom') throw new Error('parser exploded');
        return real.parse(ua);
      },
    };
    const { handler, published } = await handlerFor(['acct-p'], devices);
    const first = signIn('acct-p', {
      session_id: 'sess-1',
      client: { ip: '81.2.69.160', user_agent: 'boom' },
    });
    const again = signIn('acct-p', { session_id: 'sess-1' });
    const other = signIn('acct-p', { session_id: 'sess-2' });
    await handler(toRecords([first, again, other]));

    const dlq = published.filter((r) => r.topic === config.topics.dlq).map((r) => r.value as DlqRecord);
    expect(dlq.map((d) => [d.source.offset, d.error.code])).toEqual([['0', 'PROCESSING_FAILED']]);
    expect(dlq[0]!.error.message).toMatch(/parser exploded/);
    // The failed event marked nothing: the same session's next event is its first, and alerts.
    const alerts = published
      .filter((r) => r.topic === config.topics.loginAlerts)
      .map((r) => (r.value as { event_id: string }).event_id);
    expect(alerts).toEqual([again.event_id, other.event_id]);
  });

  it('never throws on odd but valid events (huge unicode user agents, odd addresses, extreme times, deep extras)', async () => {
    const now = Date.now();
    const accounts = ['acct-a', 'acct-b', 'acct-c'];
    const text = (max: number) =>
      fc.string({ unit: 'binary', minLength: 1, maxLength: max }).map((t) => t.slice(0, max));
    const ip = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom(
        '0.0.0.0',
        '255.255.255.255',
        '::',
        '::1',
        '::ffff:81.2.69.160',
        'fe80::1',
        '10.0.0.1',
        '100.64.0.1',
      ),
    );
    const occurred = fc
      .oneof(fc.integer({ min: Date.parse('0001-01-01T00:00:00Z'), max: now + 4 * 60_000 }), fc.constant(now))
      .map((ms) => new Date(ms).toISOString());
    const event = fc.record({
      type: fc.constantFrom(...EVENT_TYPES),
      account: fc.constantFrom(...accounts, 'acct-unknown'),
      session: fc.constantFrom('s1', 's2', 's3'),
      ua: fc.option(
        fc.oneof(
          text(2048),
          fc.string({ unit: 'binary', minLength: 1_500, maxLength: 2_048 }).map((t) => t.slice(0, 2048)),
          fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }).map((t) => t.slice(0, 2048)),
          fc.constantFrom(
            `Mozilla/5.0 (${'('.repeat(2_000)}`,
            `${'Mozilla/5.0 '.repeat(170)}`,
            `Mozilla/5.0 (Linux; Android ${'9'.repeat(1_900)}) Chrome/1.0`,
          ),
        ),
        { nil: undefined },
      ),
      ip,
      occurred,
      method: fc.constantFrom(...AUTH_METHODS),
      reason: fc.constantFrom(...FAILURE_REASONS),
      device: fc.option(text(128), { nil: undefined }),
      credential: fc.option(text(256), { nil: undefined }),
      product: text(64),
      extra: fc.jsonValue({ maxDepth: 30 }),
    });
    const { handler, published } = await handlerFor(accounts);
    let events = 0;
    let alerts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 40 }), async (batch) => {
        const values = batch.map(
          (e, i): AuthEvent & Record<string, unknown> =>
            ({
              event_id: `evt-${events + i}`,
              schema_version: 1,
              type: e.type,
              occurred_at: e.occurred,
              account_id: e.account,
              ...(e.type === 'login.succeeded' ? { session_id: e.session } : {}),
              product: e.product,
              client: { ip: e.ip, user_agent: e.ua, device_id: e.device, nested: e.extra },
              auth: {
                method: e.method,
                credential_id: e.credential,
                ...(e.type === 'login.failed' ? { failure_reason: e.reason } : {}),
              },
              source: 'fuzz',
              extra: e.extra,
            }) as never,
        );
        events += batch.length;
        published.length = 0;
        await handler(toRecords(values));
        const dlq = published.filter((r) => r.topic === config.topics.dlq).map((r) => r.value as DlqRecord);
        // Every event is valid: none is dead-lettered, for a rule or because processing threw.
        expect(dlq.map((d) => d.error)).toEqual([]);
        alerts += published.filter((r) => r.topic === config.topics.loginAlerts).length;
      }),
      { numRuns: 150 },
    );
    expect(events).toBeGreaterThan(150);
    expect(alerts).toBeGreaterThan(50);
  }, 120_000);
});
