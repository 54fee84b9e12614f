// Classify: what a failed send means for its job, from the error's code and retryable flag alone.
import type { AppError, ErrorCode } from '../../errors.js';

/** How one delivery attempt ended; `settle` makes each outcome durable. */
export type Outcome =
  /** the provider accepted it */
  | { kind: 'sent'; providerMessageId?: string }
  /** nothing to send any more (the push subscription left the profile) */
  | { kind: 'skipped' }
  /** the push subscription is gone for good: drop it from the profile */
  | { kind: 'gone'; code: ErrorCode }
  /** the number opted out of SMS: remember it, send it nothing more */
  | { kind: 'suppressed'; code: ErrorCode }
  /** worth another attempt after a backoff */
  | { kind: 'retry'; code: ErrorCode; retryAfterS?: number }
  /** no attempt will succeed (or none is left): dead-lettered with this code */
  | { kind: 'dead-letter'; code: ErrorCode; message: string };

/** The outcome of attempt `attempt` (1 = first) failing with `err`, when `maxAttempts` are allowed. */
export function classify(err: AppError, attempt: number, maxAttempts: number): Outcome {
  if (err.code === 'SUBSCRIPTION_GONE') return { kind: 'gone', code: err.code };
  if (err.code === 'RECIPIENT_UNSUBSCRIBED') return { kind: 'suppressed', code: err.code };
  if (err.retryable && attempt < maxAttempts) {
    return err.retryAfterS === undefined
      ? { kind: 'retry', code: err.code }
      : { kind: 'retry', code: err.code, retryAfterS: err.retryAfterS };
  }
  const code = err.retryable ? 'RETRIES_EXHAUSTED' : err.code;
  return { kind: 'dead-letter', code, message: err.message };
}
