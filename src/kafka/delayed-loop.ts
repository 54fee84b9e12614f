import type { ConsumerRunConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { toAppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import type { InRecord, RunningConsumer } from './consumer-loop.js';
import { retryWithBackoff } from './retrying.js';
import { type ConsumerWatch, superviseConsumer } from './supervisor.js';

export interface DelayedLoopOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  dueAt: (value: Buffer | null) => number | undefined;
  handler: (record: InRecord) => Promise<void>;
  log: Logger;
  now?: () => number;
  watch?: ConsumerWatch;
  /** The group's session timeout (default 30 s); heartbeats go every tenth of it. */
  sessionTimeoutMs?: number;
}

/**
 * A consumer for records that carry a due time (the retry topic). When a partition's head is not
 * yet due, the partition is paused until it is, without holding back the other partitions and
 * without committing past the head. Each partition holds one backoff tier, so its head is due first.
 * The handler is retried only on retryable errors; a record it fails on for good is logged with its
 * coordinates and passed, so no record stops its partition (the handler dead-letters what it can).
 */
export async function runDelayedLoop(opts: DelayedLoopOptions): Promise<RunningConsumer> {
  const now = opts.now ?? Date.now;
  const timers = new Set<NodeJS.Timeout>();
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout,
    heartbeatInterval: sessionTimeout / 10,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  // Records wait here on purpose: lag on this group is expected, never a stall.
  const ref = { groupId: opts.groupId, topics: [opts.topic], paced: true };
  const runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async (payload) => {
      const { batch, resolveOffset, heartbeat, pause, isRunning, isStale } = payload;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) return;
        const due = opts.dueAt(message.value) ?? 0;
        const wait = due - now();
        if (wait > 0) {
          const resume = pause();
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: message.offset });
          const timer = setTimeout(() => {
            timers.delete(timer);
            resume();
          }, wait);
          timers.add(timer);
          return;
        }
        await handleDue(opts, { topic: batch.topic, partition: batch.partition, message }, payload);
        resolveOffset(message.offset);
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(message.offset) + 1n).toString(),
          },
        ]);
        await heartbeat();
      }
    },
  };
  const supervisor = superviseConsumer({
    consumer,
    ref,
    log: opts.log,
    report: (event) => opts.watch?.report(ref, event),
    start: () => consumer.run(runConfig),
  });
  await consumer.run(runConfig);
  return {
    consumer,
    async stop() {
      await supervisor.stop();
      for (const t of timers) clearTimeout(t);
      await consumer.disconnect();
      opts.watch?.report(ref, { event: 'stopped' });
    },
  };
}

/** 200 ms, doubling, at most 5 s between tries of a due record waiting on a dependency. */
const RECORD_BACKOFF = { firstMs: 200, maxMs: 5_000 };

/**
 * Runs the handler on a due record until it succeeds, waiting between tries on retryable errors; a
 * record it fails on for good is logged with its coordinates and passed.
 */
function handleDue(opts: DelayedLoopOptions, record: InRecord, payload: EachBatchPayload): Promise<void> {
  const where = { topic: record.topic, partition: record.partition, offset: record.message.offset };
  const once = async () => {
    try {
      await opts.handler(record);
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.retryable) throw appErr;
      opts.log.error({ code: appErr.code, ...where }, `record skipped: ${appErr.message}`);
    }
  };
  return retryWithBackoff(once, {
    ...RECORD_BACKOFF,
    failed: (err, attempt) => {
      const appErr = toAppError(err);
      if (!payload.isRunning() || payload.isStale()) throw appErr;
      opts.log.warn({ code: appErr.code, attempt }, appErr.message);
    },
    keepAlive: () => payload.heartbeat().catch(() => {}),
  });
}
