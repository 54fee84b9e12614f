import type { Kafka } from 'kafkajs';
import { retryingKafka } from './retrying.js';

/**
 * Knows where a topic ended when we started, and tells when a consumer has read up to there.
 * With a durable group, committed offsets count as read (a restart need not re-read them).
 */
export async function catchUpTracker(kafka: Kafka, topic: string, groupId?: string) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const done = new Map<number, bigint>();
  try {
    for (const p of await retryingKafka(() => admin.fetchTopicOffsets(topic))) {
      ends.set(p.partition, BigInt(p.high));
      done.set(p.partition, BigInt(p.low));
    }
    if (groupId) {
      const [committed] = await retryingKafka(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      for (const p of committed?.partitions ?? []) {
        if (BigInt(p.offset) > (done.get(p.partition) ?? 0n)) done.set(p.partition, BigInt(p.offset));
      }
    }
  } finally {
    await admin.disconnect();
  }
  let resolve!: () => void;
  const caughtUp = new Promise<void>((r) => {
    resolve = r;
  });
  const check = () => {
    for (const [p, end] of ends) if ((done.get(p) ?? 0n) < end) return;
    resolve();
  };
  check();
  return {
    caughtUp,
    /** True for records that were already in the topic when we started. */
    isHistory: (partition: number, offset: string) => BigInt(offset) < (ends.get(partition) ?? 0n),
    processed(partition: number, offset: string) {
      const next = BigInt(offset) + 1n;
      if (next > (done.get(partition) ?? 0n)) done.set(partition, next);
      check();
    },
  };
}
