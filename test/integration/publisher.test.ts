/** The publisher on the real broker: merged requests, split requests, nothing lost or reordered per call. */
import { setTimeout as sleep } from 'node:timers/promises';
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

/** How many records `topic` holds now, over all its partitions. */
async function recordsIn(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

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
  while (seen.size < count && Date.now() < deadline) await sleep(50);
  await consumer.stop();
  return [...seen.values()].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

describe('publisher', () => {
  it('sends calls made in the same turn of the event loop as one request', async () => {
    const topic = uniqueName('pub-turn');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);
    requests.length = 0;
    await Promise.all(
      Array.from({ length: 12 }, (_, c) => publisher.publish([{ topic, key: `call-${c}`, value: { c } }])),
    );
    expect(requests).toEqual([12]);
    // Every call arrived (a produce request kafkajs retried may land twice: at least once, not exactly).
    const keys = new Set((await readAll(topic, 12)).map((r) => r.key));
    expect([...keys].sort()).toEqual(Array.from({ length: 12 }, (_, c) => `call-${c}`).sort());
  });

  it('keeps each call complete and in order when calls arrive turn by turn', async () => {
    const topic = uniqueName('pub-merge');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);
    requests.length = 0;
    // One call per turn of the event loop: some go alone, those made while two requests are in
    // flight are merged into the next one.
    const calls: Promise<void>[] = [];
    for (let c = 0; c < 30; c++) {
      calls.push(
        publisher.publish(
          Array.from({ length: 4 }, (_, i) => ({ topic, key: `call-${c}`, value: { c, i } })),
        ),
      );
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(calls);
    // How many merge depends on the broker's speed (test/unit/publisher-queue.test.ts pins it down).
    expect(requests.length).toBeLessThanOrEqual(30);
    expect(requests.reduce((a, b) => a + b, 0)).toBe(120);
    // Every record the topic holds. At least once, not exactly: a request retried whole (one of its
    // partitions' leaders not ready just after the topic was made) repeats the calls of the partitions
    // that had taken it, each call whole (a partition takes a request's records for it in one batch).
    const records = await readAll(topic, await recordsIn(topic));
    expect(new Set(records.map((r) => r.value)).size).toBe(120);
    for (let c = 0; c < 30; c++) {
      const mine = records.filter((r) => r.key === `call-${c}`).map((r) => JSON.parse(r.value).i);
      expect(mine.length % 4).toBe(0);
      expect(mine).toEqual(mine.map((_: number, k: number) => k % 4));
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
