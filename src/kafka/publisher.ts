import type { CompressionTypes, Kafka, Producer } from 'kafkajs';
import {
  type OutRecord,
  RecordsRefusedError,
  type Refused,
  type SendRequest,
  sendAll,
  takeRequest,
  toPending,
  type Waiting,
} from './produce-requests.js';

export { type OutRecord, RecordsRefusedError, type Refused, recordBatchBytes } from './produce-requests.js';

export interface Publisher {
  /**
   * Produces every record with acks from all in-sync replicas; resolves once all are durable. Rejects
   * with a retryable KAFKA_UNAVAILABLE while the broker is away, or with a RecordsRefusedError
   * (KAFKA_RECORD_REJECTED, not retryable) naming the records refused for good, the others sent.
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

/** kafkajs's own retries of a failed produce request before the publish fails (its default without idempotence). */
const IDEMPOTENT_RETRIES = 5;

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
    // Idempotence: a request retried after a lost answer (a leader failing over) is written once.
    // kafkajs then sends one request at a time per broker, keeping the sequence numbers in order.
    idempotent: true,
    maxInFlightRequests: 5,
    // Bounded, as without idempotence, so a broker away surfaces as KAFKA_UNAVAILABLE and the caller
    // retries its chunk (readers tolerate the repeat) instead of the publish hanging for ever.
    retry: { retries: IDEMPOTENT_RETRIES },
  });
  await producer.connect();
  const send: SendRequest = async (topicMessages, count) => {
    opts.onRequest?.(count);
    await producer.sendBatch({ topicMessages, acks: -1, compression: opts.compression });
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
        for (const [index, r] of records.entries()) {
          const pending = toPending(r, index, call);
          if (pending) call.messages.push(pending);
        }
        if (call.messages.length === 0) return call.resolve();
        enqueue(call);
      });
    },
    close: () => producer.disconnect(),
  };
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
    while (inFlight < MAX_SENDS_IN_FLIGHT && queue.length > 0) {
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
