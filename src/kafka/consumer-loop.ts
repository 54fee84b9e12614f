import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { type AppError, toAppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { createCommitter } from './committer.js';
import { backoffMs, sleep } from './retrying.js';
import { type ConsumerEvent, type ConsumerWatch, superviseConsumer } from './supervisor.js';

/** A consumed record with where it came from. */
export interface InRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Work a handler started and left running: the chunk counts as processed (its offset may be
 * committed) only once `finish` has succeeded, and every earlier chunk of the partition too.
 * `finish` may be called again after a retryable failure, so it must be safe to repeat.
 */
export interface ChunkTail {
  finish: () => Promise<void>;
}

/**
 * Processes one chunk of records from one partition. It must make every effect durable before
 * resolving, or return a ChunkTail that does; the loop then commits. Throwing a retryable error makes
 * the loop wait and retry the same chunk (nothing committed meanwhile); a non-retryable one crashes
 * the consumer, which the loop restarts (with backoff) from the last commit.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing, a few a tail
export type ChunkHandler = (records: InRecord[]) => Promise<void | ChunkTail>;

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
  /** Told when the consumer joins, waits, recovers, crashes (and is restarted) or stops. */
  watch?: ConsumerWatch;
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

/** Unfinished tails a partition may have before its next chunk waits for the oldest. */
const MAX_TAILS_PER_PARTITION = 8;
/** How long stop() waits for tails still running (a dependency down) before leaving them uncommitted. */
const STOP_WAIT_MS = 10_000;

/** Runs an eachBatch consumer that commits a chunk only after its handler (and its tail) succeeded. */
export async function runConsumerLoop(opts: ConsumerLoopOptions): Promise<RunningConsumer> {
  const { kafka, groupId, topics, handler, log } = opts;
  const chunkSize = opts.chunkSize ?? 500;
  const ref = { groupId, topics };
  const report = (event: ConsumerEvent) => opts.watch?.report(ref, event);
  /** A handler's dependency is away (err) or back (no err): the hook and the watch both hear it. */
  const dependency = (err?: AppError) => {
    opts.onHealth?.(err === undefined, err);
    report(err ? { event: 'waiting', code: err.code } : { event: 'recovered' });
  };
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
  /**
   * Per partition: the chain of tails not yet finished, in chunk order, how many it holds, and the
   * error it stopped at (no later link of a failed chain offers an offset).
   */
  const chains = new Map<string, { done: Promise<void>; open: number; failed?: AppError }>();

  /** Runs a tail's `finish` until it succeeds, waiting between tries on retryable errors. */
  const finishTail = async (tail: ChunkTail, where: { topic: string; partition: number }) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await tail.finish();
        if (attempt > 1) dependency();
        return;
      } catch (err) {
        const appErr = toAppError(err);
        if (!appErr.retryable || stopping) throw appErr;
        dependency(appErr);
        const waitMs = chunkBackoffMs(attempt);
        log.warn({ code: appErr.code, attempt, waitMs, ...where }, `${appErr.message} (finishing a chunk)`);
        await sleep(waitMs);
      }
    }
  };

  const runConfig: ConsumerRunConfig = {
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
  };
  const supervisor = superviseConsumer({ consumer, ref, log, report, start: () => consumer.run(runConfig) });
  await consumer.run(runConfig);

  async function processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const where = { topic: batch.topic, partition: batch.partition };
    const key = `${batch.topic}:${batch.partition}`;
    const messages = batch.messages;
    // A chunk's offset is offered to the committer (which commits in the background, all partitions
    // together) once it and every earlier chunk of the partition are finished; not while kafkajs has a
    // seek pending for the partition (isStale). An offset offered after the partition moved to another
    // member is still a processed position: committing it replays nothing that was not done.
    const settle = (first: string, offset: string, tail: ChunkTail | undefined) => {
      const chain = chains.get(key) ?? { done: Promise.resolve(), open: 0 };
      chain.open++;
      chain.done = chain.done
        .then(async () => {
          if (chain.failed) return;
          if (tail) await finishTail(tail, where);
          if (!isStale()) committer.offer(batch.topic, batch.partition, (BigInt(offset) + 1n).toString());
        })
        .catch((err: unknown) => {
          // Failed for good: nothing after it is committed, and the partition is read again from this
          // chunk, on a fresh chain (links still pending on the failed one offer nothing).
          const appErr = toAppError(err);
          chain.failed = appErr;
          if (chains.get(key) === chain) chains.delete(key);
          if (stopping) return;
          log.error(
            { code: appErr.code, ...where },
            `chunk left unfinished, reading it again: ${appErr.message}`,
          );
          try {
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first });
          } catch (seekErr) {
            log.warn({ err: (seekErr as Error).message, ...where }, 'seek failed; replayed after a restart');
          }
        })
        .finally(() => {
          chain.open--;
        });
      chains.set(key, chain);
    };
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (stopping || !isRunning() || isStale()) break;
      const waiting = chains.get(key);
      if (waiting && waiting.open >= MAX_TAILS_PER_PARTITION) await waiting.done;
      const chunk = messages.slice(i, i + chunkSize).map((message) => ({
        topic: batch.topic,
        partition: batch.partition,
        message,
      }));
      let tail: ChunkTail | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          tail = (await handler(chunk)) ?? undefined;
          if (attempt > 1) dependency();
          break;
        } catch (err) {
          const appErr = toAppError(err);
          if (stopping || !isRunning() || isStale()) throw appErr;
          if (!appErr.retryable) throw crashing(appErr);
          dependency(appErr);
          const waitMs = chunkBackoffMs(attempt);
          log.warn({ code: appErr.code, attempt, waitMs, ...where }, appErr.message);
          await sleep(waitMs);
          await heartbeat().catch(() => {});
        }
      }
      const done = chunk[chunk.length - 1]!.message.offset;
      resolveOffset(done);
      settle(chunk[0]!.message.offset, done, tail);
      await heartbeat().catch((err: unknown) => tolerate(err, 'heartbeat', log));
    }
  }

  return {
    consumer,
    async stop() {
      stopping = true;
      await supervisor.stop();
      // Batches in flight finish their current chunk and tails their work (for a while); what is
      // finished is committed while this member still owns the partitions (kafkajs's stop() leaves
      // the group). A tail still waiting on a dependency stays uncommitted: replayed, not lost.
      await Promise.allSettled([...active]);
      await Promise.race([Promise.allSettled([...chains.values()].map((c) => c.done)), sleep(STOP_WAIT_MS)]);
      await committer.close();
      await consumer.stop();
      await consumer.disconnect();
      report({ event: 'stopped' });
    },
  };
}

/**
 * A chunk that failed for good, as kafkajs must see it: not retriable, so kafkajs crashes the consumer
 * at once (instead of fetching the same chunk again ten times) and the supervisor restarts it.
 */
function crashing(err: AppError): Error {
  return Object.assign(new Error(err.message, { cause: err }), { name: 'ChunkFailed', retriable: false });
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

/** 400 ms, doubling, at most 5 s between tries of a chunk waiting on a dependency. */
const chunkBackoffMs = (attempt: number) => backoffMs(attempt, 400, 5_000);
