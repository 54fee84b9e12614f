import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
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

/** A producer that serialises JSON and waits for acks=-1. */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 5 });
  await producer.connect();
  const send = async (byTopic: Map<string, Message[]>) => {
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    try {
      await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (err) {
      throw new AppError('KAFKA_UNAVAILABLE', `produce failed: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
  };
  return {
    async publish(records) {
      let byTopic = new Map<string, Message[]>();
      let count = 0;
      let bytes = 0;
      for (const r of records) {
        const value = r.value === null ? null : JSON.stringify(r.value);
        const size = Buffer.byteLength(r.key) + (value === null ? 0 : Buffer.byteLength(value));
        if (count > 0 && (count >= MAX_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)) {
          await send(byTopic);
          byTopic = new Map();
          count = 0;
          bytes = 0;
        }
        const list = byTopic.get(r.topic) ?? [];
        list.push({
          key: r.key,
          value,
          headers: r.headers,
          ...(r.partition === undefined ? {} : { partition: r.partition }),
        });
        byTopic.set(r.topic, list);
        count++;
        bytes += size;
      }
      if (count > 0) await send(byTopic);
    },
    close: () => producer.disconnect(),
  };
}
