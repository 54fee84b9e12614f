/** Test helpers for reaching the harness's services; the only place tests read their environment. */
import { randomBytes } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';

/** The brokers the harness started or was given (KAFKA_BROKERS, comma-separated). */
export function kafkaBrokers(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  const brokers = (raw ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) {
    throw new Error(
      'KAFKA_BROKERS is not set: run tests through jest so test/support/global-setup.ts starts Kafka',
    );
  }
  return brokers;
}

/** Redis for integration tests; npm test starts one on the default address when none answers. */
export function redisUrl(): string {
  return process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
}

/** A name no other test or earlier run uses, for topics, groups and keys: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Creates topics and waits for their leaders (the same code the pipeline uses at start). */
export { createTopicsAndWait } from '../../src/kafka/topics.js';

/**
 * A producer for tests that count records: kafkajs retries a send whole when some of its partitions
 * fail (e.g. leaders not yet ready just after the topic was created), so without idempotence the
 * partitions that had succeeded get their records twice (seen in CI: 244 records for 240 sent).
 */
export function countingProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}
