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

/** A producer that serialises JSON and waits for acks=-1. */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 5 });
  await producer.connect();
  return {
    async publish(records) {
      for (let i = 0; i < records.length; i += MAX_PER_CALL) {
        const slice = records.slice(i, i + MAX_PER_CALL);
        const byTopic = new Map<string, Message[]>();
        for (const r of slice) {
          const list = byTopic.get(r.topic) ?? [];
          list.push({
            key: r.key,
            value: r.value === null ? null : JSON.stringify(r.value),
            headers: r.headers,
            ...(r.partition === undefined ? {} : { partition: r.partition }),
          });
          byTopic.set(r.topic, list);
        }
        const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
        try {
          await producer.sendBatch({ topicMessages, acks: -1 });
        } catch (err) {
          throw new AppError('KAFKA_UNAVAILABLE', `produce failed: ${(err as Error).message}`, {
            retryable: true,
            cause: err,
          });
        }
      }
    },
    close: () => producer.disconnect(),
  };
}
