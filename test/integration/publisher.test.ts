/** The publisher on the real broker: merged requests, split requests, nothing lost or reordered per call. */
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { createPublisher, type Publisher } from '../../src/kafka/publisher.js';
import { createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';

const kafka = new Kafka({ clientId: 'publisher-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
let publisher: Publisher;
const requests: number[] = [];
const consumers: Consumer[] = [];

beforeAll(async () => {
  await admin.connect();
  publisher = await createPublisher(kafka, { onRequest: (n) => requests.push(n) });
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await publisher.close();
  await admin.disconnect();
});

/** Reads `count` records of `topic` from the beginning, once each (by partition and offset). */
async function readAll(
  topic: string,
  count: number,
): Promise<{ key: string; value: string; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('pub-read'), maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<string, { key: string; value: string; partition: number; offset: bigint }>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.set(`${partition}:${message.offset}`, {
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        partition,
        offset: BigInt(message.offset),
      });
    },
  });
  const deadline = Date.now() + 30_000;
  while (seen.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.stop();
  return [...seen.values()].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

describe('publisher', () => {
  it('merges calls made while a request is in flight, and keeps each call complete and in order', async () => {
    const topic = uniqueName('pub-merge');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);
    requests.length = 0;
    const calls = Array.from({ length: 30 }, (_, c) =>
      publisher.publish(Array.from({ length: 4 }, (_, i) => ({ topic, key: `call-${c}`, value: { c, i } }))),
    );
    await Promise.all(calls);
    // Two requests start at once; the 28 calls queued behind them go out together.
    expect(requests.length).toBeLessThanOrEqual(3);
    expect(requests.reduce((a, b) => a + b, 0)).toBe(120);
    const records = await readAll(topic, 120);
    expect(records).toHaveLength(120);
    for (let c = 0; c < 30; c++) {
      const mine = records.filter((r) => r.key === `call-${c}`).map((r) => JSON.parse(r.value).i);
      expect(mine).toEqual([0, 1, 2, 3]);
    }
  });

  it('splits a call larger than one request may carry, and delivers all of it', async () => {
    const topic = uniqueName('pub-split');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    requests.length = 0;
    const big = 'x'.repeat(300 * 1024);
    await publisher.publish(Array.from({ length: 3 }, (_, i) => ({ topic, key: 'k', value: { i, big } })));
    expect(requests).toEqual([1, 1, 1]);
    const records = await readAll(topic, 3);
    expect(records.map((r) => JSON.parse(r.value).i)).toEqual([0, 1, 2]);
  });

  it('resolves at once for nothing to publish', async () => {
    requests.length = 0;
    await publisher.publish([]);
    expect(requests).toEqual([]);
  });
});
