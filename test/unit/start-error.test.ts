import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { AppError } from '../../src/errors.js';
import { startError } from '../../src/runtime/pipeline.js';

const config = { kafka: { brokers: ['10.0.0.7:9092', '10.0.0.8:9092'], clientId: 'x', groupId: 'g' } };

describe('errors at start', () => {
  test("kafkajs's own errors become KAFKA_UNAVAILABLE naming the configured brokers", () => {
    for (const cause of [
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.7:9092'),
      new KafkaJSNumberOfRetriesExceeded(new Error('timed out'), { retryCount: 15, retryTime: 5000 }),
    ]) {
      const err = startError(cause, config as never);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true, cause });
      expect(err.message).toContain('Kafka at 10.0.0.7:9092,10.0.0.8:9092 (KAFKA_BROKERS)');
      expect(err.message).toContain(cause.message);
    }
  });

  test('an AppError keeps its own code', () => {
    const store = new AppError('STORE_UNAVAILABLE', 'redis down', { retryable: true });
    expect(startError(store, config as never)).toBe(store);
  });

  test('anything else is an internal failure, with its message', () => {
    const err = startError(new TypeError('boom'), config as never);
    expect(err).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(err.message).toBe('could not start: boom');
  });
});
