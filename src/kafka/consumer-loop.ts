import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { type AppError, toAppError } from '../errors.js';
import type { Logger } from '../log/logger.js';

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

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const messages = batch.messages;
      for (let i = 0; i < messages.length; i += chunkSize) {
        if (!isRunning() || isStale()) return;
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
            if (!appErr.retryable || stopping || !isRunning() || isStale()) throw appErr;
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
        const last = chunk[chunk.length - 1]!;
        resolveOffset(last.message.offset);
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [
                { partition: batch.partition, offset: (BigInt(last.message.offset) + 1n).toString() },
              ],
            },
          ],
        });
        await heartbeat();
      }
    },
  });

  return {
    consumer,
    async stop() {
      stopping = true;
      // disconnect() lets the batch in flight finish its current chunk and commit before leaving.
      await consumer.disconnect();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
