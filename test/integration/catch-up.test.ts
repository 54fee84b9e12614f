/** Catching up on a topic with a durable group shared by replicas, on the real broker. */
import { Kafka, logLevel } from 'kafkajs';
import { catchUpTracker } from '../../src/kafka/catch-up.js';
import { countingProducer, createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';

const kafka = new Kafka({ clientId: 'catch-up-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = countingProducer(kafka);

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
});

/** A two-partition topic with three records in each, and a group with no commits yet. */
async function backlog() {
  const topic = uniqueName('catch-up');
  await createTopicsAndWait(admin, [{ topic, numPartitions: 2 }]);
  await producer.send({
    topic,
    messages: [0, 1].flatMap((partition) => [1, 2, 3].map((n) => ({ partition, value: `r${n}` }))),
  });
  return { topic, groupId: uniqueName('catch-up-group') };
}

const settledWithin = (p: Promise<void>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('catching up with a durable group', () => {
  test('partitions another replica reads count once that replica has committed them', async () => {
    const { topic, groupId } = await backlog();
    const tracker = await catchUpTracker(kafka, topic, groupId);
    try {
      // This replica was given partition 0 and read it to the end; partition 1 went to another.
      tracker.processed(0, '2');
      expect(await settledWithin(tracker.caughtUp, 1_500)).toBe(false);
      // The other replica commits partition 1 at its end.
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 1, offset: '3' }] });
      expect(await settledWithin(tracker.caughtUp, 5_000)).toBe(true);
    } finally {
      await tracker.close();
    }
  });

  test('what the group had committed before the start counts at once', async () => {
    const { topic, groupId } = await backlog();
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '3' },
      ],
    });
    const tracker = await catchUpTracker(kafka, topic, groupId);
    expect(await settledWithin(tracker.caughtUp, 100)).toBe(true);
    await tracker.close();
  });

  test('without a group (a private view) only what this consumer read counts', async () => {
    const { topic } = await backlog();
    const tracker = await catchUpTracker(kafka, topic);
    tracker.processed(0, '2');
    expect(await settledWithin(tracker.caughtUp, 1_000)).toBe(false);
    tracker.processed(1, '2');
    expect(await settledWithin(tracker.caughtUp, 100)).toBe(true);
    expect(tracker.isHistory(1, '2')).toBe(true);
    expect(tracker.isHistory(1, '3')).toBe(false);
    await tracker.close();
  });
});
