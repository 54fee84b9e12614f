/**
 * Errors that cross a module boundary carry a stable `code` and a `retryable` flag.
 * Callers decide retry, dead-letter or drop from these two fields alone, never from message text.
 */
export type ErrorCode =
  // input
  | 'INVALID_JSON'
  | 'INVALID_EVENT'
  | 'EVENT_IN_FUTURE'
  | 'RECORD_TOO_LARGE'
  | 'EMPTY_RECORD'
  /** A compressed record batch that does not decompress (damaged, or a codec's framing broken). */
  | 'CORRUPT_BATCH'
  /** Enrichment, assessment or rendering threw on one record: it is dead-lettered, the rest go on. */
  | 'PROCESSING_FAILED'
  // configuration and usage
  | 'BAD_CONFIG'
  | 'BAD_USAGE'
  // infrastructure
  | 'STORE_UNAVAILABLE'
  /** Redis refused this client (credentials, an ACL permission, TLS trust): retryable, an operator must act. */
  | 'STORE_REFUSED'
  | 'KAFKA_UNAVAILABLE'
  /** The broker refused a record for good (MESSAGE_TOO_LARGE, INVALID_RECORD, …): never retried. */
  | 'KAFKA_RECORD_REJECTED'
  /** Even the dead-letter copy could not be written: logged with its coordinates, counted, skipped. */
  | 'DLQ_WRITE_FAILED'
  | 'CONSUMER_CRASHED'
  | 'PARTITION_STALLED'
  /** A promise rejected with nobody to handle it: logged, the process goes on. */
  | 'UNHANDLED_REJECTION'
  /** An exception nothing caught: logged, then the process exits 1 (its state may be half-updated). */
  | 'UNCAUGHT_EXCEPTION'
  | 'BROKER_START_FAILED'
  | 'GEO_DB_UNAVAILABLE'
  // delivery
  | 'PROVIDER_THROTTLED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_AUTH'
  | 'RECIPIENT_INVALID'
  | 'RECIPIENT_UNSUBSCRIBED'
  | 'SUBSCRIPTION_GONE'
  /** A push endpoint's host is not allowed, or resolves to a non-public address. */
  | 'PUSH_ENDPOINT_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'CHANNEL_PAUSED'
  | 'RETRIES_EXHAUSTED'
  /** Another live process writes this outbox file: each process needs its own OUTBOX_DIR. */
  | 'OUTBOX_IN_USE'
  // containment (respond)
  /** An event names an identity provider whose responder is not configured: nothing could be done. */
  | 'RESPONDER_NOT_CONFIGURED'
  /** Another responder holds the claim on this (alert, action): look again once its lease lapses. */
  | 'RESPONSE_IN_FLIGHT'
  /** The outbox path is a symbolic link or not a regular file: never followed, never written. */
  | 'OUTBOX_NOT_A_FILE'
  // links
  | 'LINK_INVALID'
  | 'LINK_EXPIRED'
  | 'INTERNAL';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Seconds the caller should wait before retrying, when the provider said so. */
  readonly retryAfterS: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; cause?: unknown; retryAfterS?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterS = opts.retryAfterS;
  }
}

/** Any thrown value as an AppError; unknown errors are INTERNAL and retryable (they may be transient). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('INTERNAL', message, { retryable: true, cause: err });
}

/** Seconds from an HTTP `Retry-After` value (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
