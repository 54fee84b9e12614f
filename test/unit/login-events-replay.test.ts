/**
 * A chunk decided again in the same process (its publish failed and the loop retried it, or a rebalance
 * brought it back) publishes the very same alert records: same ids and same content, `detected_at`
 * included, so a reader never sees two different records under one alert id.
 */
import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '../../src/config/config.js';
import { createDeviceParser } from '../../src/enrich/device.js';
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
const record = (value: unknown, offset: number): InRecord => ({
  topic: config.topics.authEvents,
  partition: 3,
  message: {
    key: Buffer.from('k'),
    value: Buffer.from(JSON.stringify(value)),
    offset: String(offset),
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  } as KafkaMessage,
});

it('keeps the first decision time of a record decided again, and decides new records at their own time', async () => {
  const store = createMemoryStore();
  await store.write([{ op: 'set', key: keys.profile('acct-r'), value: JSON.stringify(profile('acct-r')) }]);
  const published: OutRecord[] = [];
  let failNext = true;
  let clock = Date.parse('2026-12-06T10:00:00Z');
  const handler = createLoginEventsHandler({
    store,
    devices: createDeviceParser(),
    geo,
    config,
    now: () => clock,
    publisher: {
      // The broker took the records, then the request failed: the loop retries the chunk.
      publish: async (r) => {
        published.push(...r);
        if (failNext) {
          failNext = false;
          throw new Error('leader moved');
        }
      },
      close: async () => {},
    },
  });
  const chunk = [
    record(signIn('acct-r', { session_id: 's-1', occurred_at: '2026-12-06T09:59:59.000Z' }), 40),
  ];
  await expect(handler(chunk)).rejects.toThrow('leader moved');
  clock += 7_000;
  await handler(chunk);
  const alerts = published
    .filter((r) => r.topic === config.topics.loginAlerts)
    .map((r) => JSON.stringify(r.value));
  expect(alerts).toHaveLength(2);
  expect(alerts[1]).toBe(alerts[0]);
  expect(JSON.parse(alerts[0]!).detected_at).toBe('2026-12-06T10:00:00.000Z');

  clock += 7_000;
  await handler([
    record(signIn('acct-r', { session_id: 's-2', occurred_at: '2026-12-06T10:00:13.000Z' }), 41),
  ]);
  const last = published.filter((r) => r.topic === config.topics.loginAlerts).at(-1)!.value as {
    detected_at: string;
  };
  expect(last.detected_at).toBe('2026-12-06T10:00:14.000Z');
});
