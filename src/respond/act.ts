// Act: call the IdP's responder, retrying what time can fix.
import { AppError } from '../errors.js';
import { retryWithBackoff } from '../kafka/retrying.js';
import type { ActOutcome } from '../responders/responder.js';
import type { Job, RespondContext } from './context.js';

/**
 * The responder's outcome, or the error it ended with: a permanent one at once, a retryable one (IdP down,
 * 5xx, 429) after `retry.attempts` tries with backoff, each wait at least the IdP's own Retry-After (up to
 * `retry.maxRetryAfterS`). Such a wait can outlast the group's session timeout: `heartbeat` (the consumer
 * loop's) runs throughout it. Never throws.
 */
export async function act(
  ctx: RespondContext,
  job: Job,
  heartbeat?: () => Promise<void>,
): Promise<{ outcome: ActOutcome } | { error: unknown }> {
  const responder = ctx.responders[job.target.idp.provider];
  if (!responder) {
    return {
      error: new AppError(
        'RESPONDER_NOT_CONFIGURED',
        `no ${job.target.idp.provider} responder is configured`,
      ),
    };
  }
  const { attempts, firstMs, maxMs, maxRetryAfterS } = ctx.retry;
  try {
    const outcome = await retryWithBackoff(() => responder.act(job.action, job.target.idp), {
      firstMs,
      maxMs,
      keepAlive: heartbeat,
      waitMs: (err, backoff) => {
        const asked = err instanceof AppError ? (err.retryAfterS ?? 0) : 0;
        return Math.max(backoff, Math.min(asked, maxRetryAfterS) * 1000);
      },
      failed: (err, attempt, waitMs) => {
        const retryable = err instanceof AppError && err.retryable;
        if (!retryable || attempt >= attempts) throw err;
        ctx.log.warn(
          {
            code: (err as AppError).code,
            attempt,
            wait_ms: waitMs,
            action: job.action,
            idp: job.target.idp.provider,
          },
          'containment action failed; retrying',
        );
      },
    });
    return { outcome };
  } catch (error) {
    return { error };
  }
}
