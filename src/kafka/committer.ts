import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../observe/logger.js';

/** Where a processed offset comes from: its partition, and the batch that read it. */
export interface OffsetSource {
  topic: string;
  partition: number;
  /** The group generation the batch started in (Committer.generation). */
  generation: number;
  /** The batch's commit: one OffsetCommit under the generation kafkajs is in when called, no retry. */
  commit: EachBatchPayload['commitOffsetsIfNecessary'];
}

/** The key of a partition in maps and sets: `topic:partition`. */
export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** A partition's processed position: the next offset to read. */
interface Position {
  topic: string;
  partition: number;
  offset: string;
}

export interface Committer {
  /** The group generation this member is in, counted from its joins; a batch notes it when it starts. */
  generation(): number;
  /**
   * The source's partition is processed up to `offset` (the next offset to read). Dropped unless the
   * source's generation is still the current one and the partition is still this member's: after a
   * rejoin, a partition is read again from its committed offset, and another member may by then
   * have committed past this one.
   */
  offer(source: OffsetSource, offset: string): void;
  /** Commits what is pending now (stop: after the last chunk, before leaving the group). */
  close(): Promise<void>;
}

/**
 * Commits processed offsets every `intervalMs`, every partition's latest in one OffsetCommit request.
 * A commit per batch (kafkajs's default) would be hundreds of requests a second at a modest rate,
 * each queued on the same broker connection as the next fetch and each an append to
 * __consumer_offsets: the broker's CPU and the fetch's wait would both grow with it.
 *
 * Pending offsets all belong to the current generation: a join drops them. Each request is one try
 * through a batch's payload (consumer.commitOffsets retries inside kafkajs for up to half a minute,
 * and a retry after a rejoin would send an older generation's offsets under the new one). A failed
 * commit is logged and tried again on the next tick unless a newer offset replaced it or the
 * generation changed; an uncommitted offset means a replay of idempotent work, never a loss.
 */
export function createCommitter(consumer: Consumer, log: Logger, intervalMs: number): Committer {
  const pending = new Map<string, Position>();
  let generation = 0;
  /** This member's partitions in the current generation, as `topic:partition`. */
  let owned = new Set<string>();
  /** The commit of the latest batch that offered in the current generation. */
  let commit: OffsetSource['commit'] | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = () => {
    if (!closed) timer ??= setTimeout(flush, intervalMs);
  };
  const flush = (): Promise<void> => {
    timer = undefined;
    flushing = flushing.then(async () => {
      if (pending.size === 0 || !commit) return;
      const offsets = [...pending.values()];
      const committing = generation;
      pending.clear();
      try {
        await commit(byTopic(offsets));
      } catch (err) {
        if (generation === committing) {
          for (const o of offsets) {
            const key = partitionKey(o.topic, o.partition);
            if (!pending.has(key)) pending.set(key, o);
          }
        }
        log.warn({ err: (err as Error).message }, 'commit failed; tried again on the next tick');
        schedule();
      }
    });
    return flushing;
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation++;
    owned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => partitionKey(t, p))),
    );
    pending.clear();
    commit = undefined;
  });
  return {
    generation: () => generation,
    offer(source, offset) {
      const key = partitionKey(source.topic, source.partition);
      if (source.generation !== generation || !owned.has(key)) return;
      pending.set(key, { topic: source.topic, partition: source.partition, offset });
      commit = source.commit;
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}

/** Offsets in the shape of one OffsetCommit request: by topic, then partition. */
function byTopic(offsets: Position[]) {
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const list = topics.get(topic) ?? [];
    list.push({ partition, offset });
    topics.set(topic, list);
  }
  return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
}
