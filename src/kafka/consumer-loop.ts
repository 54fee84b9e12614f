import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { type AppError, toAppError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createCommitter } from './committer.js';

/** A consumed record with where it came from. */
export interface InRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Processes one chunk of records from one partition. It must make every effect durable before
 * resolving; the loop then resolves the offsets and commits. Throwing a retryable error makes the
 * loop wait and retry the same chunk (nothing committed meanwhile); a non-retryable one crashes the
 * consumer, which kafkajs restarts from the last commit.
 */
export type ChunkHandler = (records: InRecord[]) => Promise<void>;

export interface ConsumerLoopOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  handler: ChunkHandler;
  log: Logger;
  fromBeginning?: boolean;
  chunkSize?: number;
  /** Called with false while the handler waits on an unavailable dependency, true when it recovers. */
  onHealth?: (healthy: boolean, err?: AppError) => void;
  /** How many partitions' batches run at once (default 12). */
  partitionsConsumedConcurrently?: number;
  /**
   * How often processed offsets are committed (default 250 ms), all partitions in one request.
   * Longer means fewer requests on the connection the fetches use, and more replay after a crash.
   */
  commitIntervalMs?: number;
  /** Latency over throughput: a caught-up consumer asks again after this many ms (kafkajs default 5000). */
  maxWaitTimeInMs?: number;
}

export interface RunningConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** Runs an eachBatch consumer that commits a chunk only after its handler succeeded. */
export async function runConsumerLoop(opts: ConsumerLoopOptions): Promise<RunningConsumer> {
  const { kafka, groupId, topics, handler, log } = opts;
  const chunkSize = opts.chunkSize ?? 500;
  let stopping = false;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 50,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 1024 * 1024,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });

  const committer = createCommitter(consumer, log, opts.commitIntervalMs ?? 250);
  const active = new Set<Promise<void>>();

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Partitions are independent (events are keyed by account), so their batches run side by side:
    // one partition's store and broker round trips overlap another's work. kafkajs 2 fetches again
    // only after every batch of a fetch is done, so one partition never runs twice at once.
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 12,
    eachBatch: async (payload) => {
      if (stopping) return;
      const running = processBatch(payload);
      active.add(running);
      try {
        await running;
      } finally {
        active.delete(running);
      }
    },
  });

  async function processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const messages = batch.messages;
    let done: string | undefined;
    // The batch's progress is handed to the committer, which commits it in the background with
    // every other partition's (see createCommitter): the next fetch never waits for a commit.
    const commit = () => {
      // A stale batch (the partition moved to another member) must not commit over the new owner.
      if (done === undefined || isStale()) return;
      committer.offer(batch.topic, batch.partition, (BigInt(done) + 1n).toString());
    };
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (stopping || !isRunning() || isStale()) break;
      const chunk = messages.slice(i, i + chunkSize).map((message) => ({
        topic: batch.topic,
        partition: batch.partition,
        message,
      }));
      let attempt = 0;
      for (;;) {
        try {
          await handler(chunk);
          if (attempt > 0) opts.onHealth?.(true);
          break;
        } catch (err) {
          const appErr = toAppError(err);
          if (!appErr.retryable || stopping || !isRunning() || isStale()) {
            commit();
            throw appErr;
          }
          attempt++;
          opts.onHealth?.(false, appErr);
          const waitMs = Math.min(200 * 2 ** Math.min(attempt, 5), 5_000);
          log.warn(
            { code: appErr.code, attempt, waitMs, topic: batch.topic, partition: batch.partition },
            appErr.message,
          );
          await sleep(waitMs);
          await heartbeat().catch(() => {});
        }
      }
      done = chunk[chunk.length - 1]!.message.offset;
      resolveOffset(done);
      await heartbeat().catch((err: unknown) => tolerate(err, 'heartbeat', log));
    }
    commit();
  }

  return {
    consumer,
    async stop() {
      stopping = true;
      // Batches in flight finish their current chunk; what they and earlier batches processed is
      // committed while this member still owns the partitions (kafkajs's stop() leaves the group).
      await Promise.allSettled([...active]);
      await committer.close();
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}

/** Group errors kafkajs must see (it rejoins on them); anything else is logged and left to the next try. */
const REBALANCING = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);
function tolerate(err: unknown, what: string, log: Logger): void {
  if (REBALANCING.has((err as { type?: string }).type ?? '')) throw err;
  log.warn({ err: (err as Error).message }, `${what} failed; retried with the next batch`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
