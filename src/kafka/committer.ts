import type { Consumer } from 'kafkajs';
import type { Logger } from '../observe/logger.js';

export interface Committer {
  /** The group generation this member is in, counted from its joins; a batch notes it when it starts. */
  generation(): number;
  /**
   * This partition is processed up to `offset` (the next offset to read) by a batch that started in
   * `generation`. Dropped unless that is still the current generation and the partition is still this
   * member's: after a rejoin kafkajs reads every partition again from its committed offset, and
   * another member may by then have committed past it.
   */
  offer(topic: string, partition: number, offset: string, generation: number): void;
  /** Commits what is pending now (stop: after the last chunk, before leaving the group). */
  close(): Promise<void>;
}

/**
 * Commits processed offsets every `intervalMs`, every partition's latest in one OffsetCommit request.
 * A commit per batch (kafkajs's default) would be hundreds of requests a second at a modest rate,
 * each queued on the same broker connection as the next fetch and each an append to
 * __consumer_offsets: the broker's CPU and the fetch's wait would both grow with it. A failed commit (broker
 * restarting) is logged and tried again on the next tick unless a newer offset replaced it or the
 * generation changed; an uncommitted offset means a replay of idempotent work, never a loss.
 */
export function createCommitter(consumer: Consumer, log: Logger, intervalMs: number): Committer {
  type Offset = { topic: string; partition: number; offset: string };
  const pending = new Map<string, Offset>();
  let generation = 0;
  /** This member's partitions in the current generation, as `topic:partition`. */
  let owned = new Set<string>();
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
      const committing = generation;
      pending.clear();
      try {
        await consumer.commitOffsets(offsets);
      } catch (err) {
        if (generation === committing) {
          for (const o of offsets) {
            const key = `${o.topic}:${o.partition}`;
            if (!pending.has(key)) pending.set(key, o);
          }
        }
        log.warn({ err: (err as Error).message }, 'commit failed; tried again on the next tick');
        schedule();
      }
    });
    return flushing;
  };
  // A join starts a generation: what the last one processed and did not commit is read again.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation++;
    owned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)),
    );
    pending.clear();
  });
  return {
    generation: () => generation,
    offer(topic, partition, offset, from) {
      const key = `${topic}:${partition}`;
      if (from !== generation || !owned.has(key)) return;
      pending.set(key, { topic, partition, offset });
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
