import type { CompressionTypes, Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import { AppError } from '../errors.js';

/** One record to produce; `value: null` is a tombstone on a compacted topic. */
export interface OutRecord {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
  /** An explicit partition (the retry topic's backoff tiers); otherwise the key decides. */
  partition?: number;
}

export interface Publisher {
  /** Produces every record with acks from all in-sync replicas; resolves once all are durable. */
  publish(records: readonly OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

// kafkajs groups messages quadratically inside one send (tulios/kafkajs#1576): keep calls small.
const MAX_PER_CALL = 500;
// One call's messages for a partition travel as one record batch, and the broker refuses a batch over
// message.max.bytes (1 MiB by default) with an error that no retry fixes: keep a call's bytes well below.
const MAX_BYTES_PER_CALL = 512 * 1024;

/** Produce requests in flight at once; calls arriving meanwhile are merged into the next request. */
const MAX_SENDS_IN_FLIGHT = 2;

interface Waiting {
  messages: { topic: string; message: Message; size: number }[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A producer that serialises JSON and waits for acks=-1. Calls made while requests are in flight are
 * merged into one request (many partitions' chunks finish at once): fewer produce requests, less CPU,
 * and no call waits behind a queue of tiny requests. A failed request fails every call merged into it.
 */
export async function createPublisher(
  kafka: Kafka,
  opts: {
    onRequest?: (messages: number) => void;
    /** The codec of every batch produced (KAFKA_COMPRESSION); none when unset. */
    compression?: CompressionTypes;
  } = {},
): Promise<Publisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 5 });
  await producer.connect();
  const queue: Waiting[] = [];
  let inFlight = 0;
  let pumpScheduled = false;

  const send = async (byTopic: Map<string, Message[]>) => {
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    opts.onRequest?.(topicMessages.reduce((n, t) => n + t.messages.length, 0));
    try {
      await producer.sendBatch({ topicMessages, acks: -1, compression: opts.compression });
    } catch (err) {
      throw new AppError('KAFKA_UNAVAILABLE', `produce failed: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
  };

  /** Takes whole calls off the queue up to one request's limits (a single large call goes alone, in parts). */
  const takeRequest = (): Waiting[] => {
    const taken: Waiting[] = [];
    let count = 0;
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0]!;
      const size = next.messages.reduce((sum, m) => sum + m.size, 0);
      if (
        taken.length > 0 &&
        (count + next.messages.length > MAX_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)
      )
        break;
      taken.push(queue.shift()!);
      count += next.messages.length;
      bytes += size;
    }
    return taken;
  };

  /** Sends the calls' messages in requests within the limits, in order. */
  const sendAll = async (calls: Waiting[]) => {
    let byTopic = new Map<string, Message[]>();
    let count = 0;
    let bytes = 0;
    for (const { topic, message, size } of calls.flatMap((c) => c.messages)) {
      if (count > 0 && (count >= MAX_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)) {
        await send(byTopic);
        byTopic = new Map();
        count = 0;
        bytes = 0;
      }
      const list = byTopic.get(topic) ?? [];
      list.push(message);
      byTopic.set(topic, list);
      count++;
      bytes += size;
    }
    if (count > 0) await send(byTopic);
  };

  const pump = () => {
    while (inFlight < MAX_SENDS_IN_FLIGHT && queue.length > 0) {
      const calls = takeRequest();
      inFlight++;
      sendAll(calls)
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

  return {
    publish(records) {
      if (records.length === 0) return Promise.resolve();
      const messages = records.map((r) => {
        const value = r.value === null ? null : JSON.stringify(r.value);
        const size = Buffer.byteLength(r.key) + (value === null ? 0 : Buffer.byteLength(value));
        const message: Message = {
          key: r.key,
          value,
          headers: r.headers,
          ...(r.partition === undefined ? {} : { partition: r.partition }),
        };
        return { topic: r.topic, message, size };
      });
      return new Promise<void>((resolve, reject) => {
        queue.push({ messages, resolve, reject });
        // Partitions' chunks tend to finish in the same turn of the event loop (their store replies
        // arrive in one read): wait for the end of the turn so they share one request.
        if (!pumpScheduled) {
          pumpScheduled = true;
          setImmediate(() => {
            pumpScheduled = false;
            pump();
          });
        }
      });
    },
    close: () => producer.disconnect(),
  };
}
