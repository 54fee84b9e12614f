import { AppError } from '../errors.js';

/**
 * Broker answers to a produce request that no retry can change: the record, the request or the
 * topic's settings are wrong, not the broker's availability. Everything else (leader moving, broker
 * away, timeouts) is retryable.
 */
const REFUSED = new Set([
  'CORRUPT_MESSAGE',
  'MESSAGE_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'INVALID_RECORD',
]);

/** Of those, the ones about the whole topic or request: every record sent alongside fails the same way. */
const REFUSED_FOR_ALL = new Set([
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
]);

/** The broker's error type (e.g. MESSAGE_TOO_LARGE) anywhere in a kafkajs error's cause chain. */
export function kafkaErrorType(err: unknown): string | undefined {
  let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 6; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return undefined;
}

export interface ProduceFailure {
  error: AppError;
  /** The refusal applies to every record of the topic (or request), not to one record. */
  forAll: boolean;
}

/** A failed produce as KAFKA_RECORD_REJECTED (permanent) or KAFKA_UNAVAILABLE (retryable). */
export function classifyProduceError(err: unknown): ProduceFailure {
  const type = kafkaErrorType(err);
  const message = (err as Error)?.message ?? String(err);
  if (type && REFUSED.has(type)) {
    return {
      error: new AppError('KAFKA_RECORD_REJECTED', `broker refused the record (${type}): ${message}`, {
        retryable: false,
        cause: err,
      }),
      forAll: REFUSED_FOR_ALL.has(type),
    };
  }
  return {
    error: new AppError('KAFKA_UNAVAILABLE', `produce failed: ${message}`, { retryable: true, cause: err }),
    forAll: false,
  };
}
