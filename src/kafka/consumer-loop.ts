import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { type AppError, toAppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { type ChunkChains, type ChunkSource, type ChunkTail, createChunkChains } from './chunk-chains.js';
import { createCommitter } from './committer.js';
import { retryWithBackoff } from './retrying.js';
import { type ConsumerEvent, type ConsumerWatch, superviseConsumer } from './supervisor.js';

/** A consumed record with where it came from. */
export interface InRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export type { ChunkTail } from './chunk-chains.js';

/**
 * Processes one chunk of records from one partition. It must make every effect durable before
 * resolving, or return a ChunkTail that does; the loop then commits. Throwing a retryable error makes
 * the loop wait and retry the same chunk (nothing committed meanwhile); a non-retryable one crashes
 * the consumer, which the loop restarts (with backoff) from the last commit.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing, a few a tail
export type ChunkHandler = (records: InRecord[], loop?: ChunkLoop) => Promise<void | ChunkTail>;

/** What the loop lends a handler while it works on a chunk. */
export interface ChunkLoop {
  /**
   * Keeps this member in its group: a handler that waits inside one chunk (an IdP's Retry-After) calls it
   * at least every few seconds, or the group takes the partition away once the session timeout passes.
   * Never throws; a rebalance it meets is acted on by the loop after the chunk.
   */
  heartbeat: () => Promise<void>;
}

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
  /** The group's session timeout (default 30 s); heartbeats go every tenth of it. */
  sessionTimeoutMs?: number;
}

export interface RunningConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** How long stop() waits for tails still running (a dependency down) before leaving them uncommitted. */
const STOP_WAIT_MS = 10_000;
/** 400 ms, doubling, at most 5 s between tries of a chunk waiting on a dependency. */
const CHUNK_BACKOFF = { firstMs: 400, maxMs: 5_000 };

/** What every batch of one loop shares. */
interface Loop {
  opts: ConsumerLoopOptions;
  consumer: Consumer;
  chains: ChunkChains;
  /** The group generation this member is in as a batch starts. */
  generation: () => number;
  chunkSize: number;
  stopping: () => boolean;
  dependency: (err?: AppError) => void;
}

/** Runs an eachBatch consumer that commits a chunk only after its handler (and its tail) succeeded. */
export async function runConsumerLoop(opts: ConsumerLoopOptions): Promise<RunningConsumer> {
  const { groupId, topics, log } = opts;
  const ref = { groupId, topics };
  const report = (event: ConsumerEvent) => opts.watch?.report(ref, event);
  /** A handler's dependency is away (err) or back (no err): the hook and the watch both hear it. */
  const dependency = (err?: AppError) => {
    opts.onHealth?.(err === undefined, err);
    report(err ? { event: 'waiting', code: err.code } : { event: 'recovered' });
  };
  let stopping = false;
  const consumer = await openConsumer(opts);
  const committer = createCommitter(consumer, log, opts.commitIntervalMs ?? 250);
  const chains = createChunkChains({
    consumer,
    committer,
    log,
    stopping: () => stopping,
    dependency,
    backoff: CHUNK_BACKOFF,
  });
  const loop: Loop = {
    opts,
    consumer,
    chains,
    generation: committer.generation,
    chunkSize: opts.chunkSize ?? 500,
    stopping: () => stopping,
    dependency,
  };
  const active = new Set<Promise<void>>();
  const runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Partitions are independent (events are keyed by account), so their batches run side by side:
    // one partition's store and broker round trips overlap another's work. kafkajs 2 fetches again
    // only after every batch of a fetch is done, so one partition never runs twice at once.
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 12,
    eachBatch: async (payload) => {
      if (stopping) return;
      const running = processBatch(loop, payload);
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

  return {
    consumer,
    async stop() {
      stopping = true;
      await supervisor.stop();
      // Batches in flight finish their current chunk and tails their work (for a while); what is
      // finished is committed while this member still owns the partitions (kafkajs's stop() leaves
      // the group). A tail still waiting on a dependency stays uncommitted: replayed, not lost.
      await Promise.allSettled([...active]);
      await chains.drain(STOP_WAIT_MS);
      await committer.close();
      await consumer.stop();
      await consumer.disconnect();
      report({ event: 'stopped' });
    },
  };
}

/** A connected consumer of the loop's group, subscribed to its topics. */
async function openConsumer(opts: ConsumerLoopOptions): Promise<Consumer> {
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 50,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: (opts.sessionTimeoutMs ?? 30_000) / 10,
    maxBytesPerPartition: 1024 * 1024,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  await consumer.connect();
  for (const topic of opts.topics) {
    await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  }
  return consumer;
}

/** Splits a batch into chunks: each is handled, its offset resolved, and chained for commit. */
async function processBatch(loop: Loop, payload: EachBatchPayload): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
  const source: ChunkSource = {
    topic: batch.topic,
    partition: batch.partition,
    generation: loop.generation(),
    commit: commitOffsetsIfNecessary,
    isStale,
  };
  const messages = batch.messages;
  for (let i = 0; i < messages.length; i += loop.chunkSize) {
    if (loop.stopping() || !isRunning() || isStale()) break;
    await loop.chains.makeRoom(source);
    const chunk = messages.slice(i, i + loop.chunkSize).map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      message,
    }));
    const tail = await handleChunk(loop, chunk, payload);
    const last = chunk[chunk.length - 1]!.message.offset;
    resolveOffset(last);
    loop.chains.settle(source, chunk[0]!.message.offset, last, tail);
    await heartbeat().catch((err: unknown) => tolerate(err, 'heartbeat', loop.opts.log));
  }
}

/** Runs the handler on a chunk until it succeeds, waiting between tries on retryable errors. */
async function handleChunk(loop: Loop, chunk: InRecord[], payload: EachBatchPayload) {
  const { batch, heartbeat, isRunning, isStale } = payload;
  const where = { topic: batch.topic, partition: batch.partition };
  const keepAlive = () =>
    heartbeat().catch((err: unknown) =>
      loop.opts.log.debug({ err: (err as Error).message, ...where }, 'heartbeat failed while handling'),
    );
  const tail = await retryWithBackoff(() => loop.opts.handler(chunk, { heartbeat: keepAlive }), {
    ...CHUNK_BACKOFF,
    failed: (err, attempt, waitMs) => {
      const appErr = toAppError(err);
      if (loop.stopping() || !isRunning() || isStale()) throw appErr;
      if (!appErr.retryable) throw crashing(appErr);
      loop.dependency(appErr);
      loop.opts.log.warn({ code: appErr.code, attempt, waitMs, ...where }, appErr.message);
    },
    keepAlive,
    recovered: () => loop.dependency(),
  });
  return tail ?? undefined;
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
