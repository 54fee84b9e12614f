import type { ConsumerRunConfig, Kafka } from 'kafkajs';
import { toAppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import type { InRecord, RunningConsumer } from './consumer-loop.js';
import { backoffMs } from './retrying.js';
import { type ConsumerWatch, superviseConsumer } from './supervisor.js';

/**
 * A consumer for records that carry a due time (the retry topic). When a partition's head is not
 * yet due, the partition is paused until it is, without holding back the other partitions and
 * without committing past the head. Each partition holds one backoff tier, so its head is due first.
 * The handler is retried only on retryable errors; a record it fails on for good is logged with its
 * coordinates and passed, so no record stops its partition (the handler dead-letters what it can).
 */
export async function runDelayedLoop(opts: {
  kafka: Kafka;
  groupId: string;
  topic: string;
  dueAt: (value: Buffer | null) => number | undefined;
  handler: (record: InRecord) => Promise<void>;
  log: Logger;
  now?: () => number;
  watch?: ConsumerWatch;
}): Promise<RunningConsumer> {
  const now = opts.now ?? Date.now;
  const timers = new Set<NodeJS.Timeout>();
  const consumer = opts.kafka.consumer({ groupId: opts.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  // Records wait here on purpose: lag on this group is expected, never a stall.
  const ref = { groupId: opts.groupId, topics: [opts.topic], paced: true };
  const runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }) => {
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
        const where = { topic: batch.topic, partition: batch.partition, offset: message.offset };
        for (let attempt = 0; ; attempt++) {
          try {
            await opts.handler({ topic: batch.topic, partition: batch.partition, message });
            break;
          } catch (err) {
            const appErr = toAppError(err);
            if (!appErr.retryable) {
              opts.log.error({ code: appErr.code, ...where }, `record skipped: ${appErr.message}`);
              break;
            }
            if (!isRunning() || isStale()) throw appErr;
            opts.log.warn({ code: appErr.code, attempt }, appErr.message);
            await new Promise((r) => setTimeout(r, backoffMs(attempt + 1, 200, 5_000)));
            await heartbeat().catch(() => {});
          }
        }
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
