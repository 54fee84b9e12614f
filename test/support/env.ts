/** Test helpers for reaching the harness's services; the only place tests read their environment. */
import { randomBytes } from 'node:crypto';

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

/** Redis for integration tests; .ci/run starts one on the default address. */
export function redisUrl(): string {
  return process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
}

/** A name no other test or earlier run uses, for topics, groups and keys: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Creates topics and waits for their leaders (the same code the pipeline uses at start). */
export { createTopicsAndWait } from '../../src/kafka/topics.js';
