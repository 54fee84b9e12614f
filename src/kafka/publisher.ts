import { setTimeout as sleep } from 'node:timers/promises';
import type { CompressionTypes, Kafka, Producer } from 'kafkajs';
import { keyPartitioner } from './partitioner.js';
import { classifyProduceError } from './produce-errors.js';
import {
  type OutRecord,
  RecordsRefusedError,
  type Refused,
  type SendRequest,
  sendAll,
  serialise,
  takeRequest,
  type Waiting,
} from './produce-requests.js';
import { backoffMs } from './retrying.js';

export { type OutRecord, RecordsRefusedError, type Refused, recordBatchBytes } from './produce-requests.js';

export interface Publisher {
  /**
   * Produces every record with acks from all in-sync replicas; resolves once all are durable. Rejects
   * with a retryable KAFKA_UNAVAILABLE while the broker is away, or with a RecordsRefusedError
   * (KAFKA_RECORD_REJECTED, not retryable) naming the records refused for good, the others sent.
   * A record is serialised when its request is made, so it must not change until the call settles.
   */
  publish(records: readonly OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Publishes and returns the records refused for good instead of failing; retryable failures still throw. */
export async function publishEach(publisher: Publisher, records: readonly OutRecord[]): Promise<Refused[]> {
  try {
    await publisher.publish(records);
    return [];
  } catch (err) {
    if (err instanceof RecordsRefusedError) return err.refused;
    throw err;
  }
}

/** Produce requests in flight at once; calls arriving meanwhile are merged into the next request. */
const MAX_SENDS_IN_FLIGHT = 2;

/**
 * A producer that serialises JSON and waits for acks=-1. Calls made while requests are in flight are
 * merged into one request (many partitions' chunks finish at once): fewer produce requests, less CPU,
 * and no call waits behind a queue of tiny requests. A retryable failure fails every call merged into
 * the request; a refusal fails only the records refused (see produce-requests.ts `isolate`).
 */
export async function createPublisher(
  kafka: Kafka,
  opts: {
    onRequest?: (messages: number) => void;
    /** The codec of every batch produced (KAFKA_COMPRESSION); none when unset. */
    compression?: CompressionTypes;
  } = {},
): Promise<Publisher> {
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 5,
    createPartitioner: keyPartitioner,
    // No retries inside kafkajs: a send it retries after one broker failed skips the partitions that
    // moved to a broker that had already answered, and resolves without them (tulios/kafkajs#1303),
    // which loses records whenever a leader fails over. sendWhole retries the whole request instead
    // (readers tolerate the repeat). kafkajs refuses idempotence without its own retries, so the
    // producer is not idempotent; acks=-1 keeps every write on min.insync.replicas brokers.
    retry: { retries: 0 },
  });
  await producer.connect();
  const send: SendRequest = async (topicMessages, count) => {
    opts.onRequest?.(count);
    await sendWhole(() => producer.sendBatch({ topicMessages, acks: -1, compression: opts.compression }));
  };
  const enqueue = createPump(send);
  return {
    publish(records) {
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const call: Waiting = {
          records,
          messages: [],
          refused: [],
          resolve: () => {
            if (call.refused.length === 0) resolve();
            else reject(new RecordsRefusedError(call.refused.sort((a, b) => a.index - b.index)));
          },
          reject,
        };
        enqueue(call);
      });
    },
    close: () => producer.disconnect(),
  };
}

/** Retries of a whole produce request on a retryable failure (a leader moving) before the publish fails. */
const SEND_RETRIES = 5;

/** Sends until it succeeds, a failure is for good, or SEND_RETRIES retries (about 6 s) have failed. */
async function sendWhole(sendOnce: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sendOnce();
      return;
    } catch (err) {
      if (attempt > SEND_RETRIES || !classifyProduceError(err).error.retryable) throw err;
      await sleep(backoffMs(attempt, 200, 5_000));
    }
  }
}

/**
 * The queue of calls and the requests in flight: `enqueue` adds a call, and at the end of the turn
 * the queue is sent in requests, at most MAX_SENDS_IN_FLIGHT at once, each call settled with its request.
 */
function createPump(send: SendRequest): (call: Waiting) => void {
  const queue: Waiting[] = [];
  let inFlight = 0;
  let pumpScheduled = false;
  const pump = () => {
    while (queue.length > 0) {
      // A call with nothing to send (every record refused) settles as it reaches the head, without
      // waiting for a free request or sharing one's fate.
      serialise(queue[0]!);
      if (queue[0]!.messages.length === 0) {
        queue.shift()!.resolve();
        continue;
      }
      if (inFlight >= MAX_SENDS_IN_FLIGHT) return;
      const calls = takeRequest(queue);
      inFlight++;
      sendAll(calls, send)
        .then(
          () => {
            for (const c of calls) c.resolve();
          },
          (err: unknown) => {
            for (const c of calls) c.reject(err);
          },
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };
  return (call) => {
    queue.push(call);
    // Partitions' chunks tend to finish in the same turn of the event loop (their store replies
    // arrive in one read): wait for the end of the turn so they share one request.
    if (!pumpScheduled) {
      pumpScheduled = true;
      setImmediate(() => {
        pumpScheduled = false;
        pump();
      });
    }
  };
}
