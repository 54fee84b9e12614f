import type { Consumer } from 'kafkajs';
import type { Logger } from '../observe/logger.js';

export interface Committer {
  /** This partition is processed up to `offset` (the next offset to read). */
  offer(topic: string, partition: number, offset: string): void;
  /** Commits what is pending now (stop: after the last chunk, before leaving the group). */
  close(): Promise<void>;
}

/**
 * Commits processed offsets every `intervalMs`, every partition's latest in one OffsetCommit request.
 * A commit per batch (kafkajs's default) would be hundreds of requests a second at a modest rate,
 * each queued on the same broker connection as the next fetch and each an append to
 * __consumer_offsets: the broker's CPU and the fetch's wait would both grow with it. A failed commit (broker
 * restarting, rebalance) is logged and tried again on the next tick unless a newer offset replaced it;
 * an uncommitted offset means a replay of idempotent work, never a loss.
 */
export function createCommitter(consumer: Consumer, log: Logger, intervalMs: number): Committer {
  const pending = new Map<string, { topic: string; partition: number; offset: string }>();
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = () => {
    if (!closed) timer ??= setTimeout(flush, intervalMs);
  };
  const flush = (): Promise<void> => {
    timer = undefined;
    flushing = flushing.then(async () => {
      if (pending.size === 0) return;
      const offsets = [...pending.values()];
      pending.clear();
      try {
        await consumer.commitOffsets(offsets);
      } catch (err) {
        for (const o of offsets) {
          const key = `${o.topic}:${o.partition}`;
          if (!pending.has(key)) pending.set(key, o);
        }
        log.warn({ err: (err as Error).message }, 'commit failed; tried again on the next tick');
        schedule();
      }
    });
    return flushing;
  };
  // After a rebalance, offsets of partitions this member no longer owns are not ours to commit.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const owned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)),
    );
    for (const key of [...pending.keys()]) if (!owned.has(key)) pending.delete(key);
  });
  return {
    offer(topic, partition, offset) {
      pending.set(`${topic}:${partition}`, { topic, partition, offset });
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
