import type { ChannelName } from '../channels/channel.js';
import { decodeJson, formatIssues } from '../contracts/decode.js';
import { type DeliveryJob, DeliveryJobSchema } from '../contracts/notification.js';
import { AppError } from '../errors.js';
import type { InRecord } from '../kafka/consumer-loop.js';
import { type DeadLetters, Outputs } from '../kafka/dlq.js';
import type { Dispatcher } from './dispatch.js';

/** When a retry record is due (ms); undefined when it does not say, and it is then handled at once. */
export function jobDueAt(value: Buffer | null): number | undefined {
  const json = decodeJson(value, 256 * 1024);
  const due = json.ok ? (json.value as { due_at?: unknown } | null)?.due_at : undefined;
  const at = typeof due === 'string' ? Date.parse(due) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** A retry record as a delivery job, or the reason it is not one. */
export function decodeJob(
  value: Buffer | null,
): { ok: true; job: DeliveryJob } | { ok: false; code: string; message: string } {
  const json = decodeJson(value, 256 * 1024);
  if (!json.ok) return json;
  const parsed = DeliveryJobSchema.safeParse(json.value);
  return parsed.success
    ? { ok: true, job: parsed.data }
    : { ok: false, code: 'INVALID_EVENT', message: formatIssues(parsed.error.issues) };
}

/**
 * login-alerts.retry records → the dispatcher of their channel. A record that is not a delivery job,
 * or whose delivery fails for good outside the provider (anything but a retryable AppError: the
 * store or the broker away), is dead-lettered and the partition goes on.
 */
export function createRetryJobHandler(
  dispatchers: Partial<Record<ChannelName, Dispatcher>>,
  dead: DeadLetters,
): (record: InRecord) => Promise<void> {
  const deadLetter = (r: InRecord, error: { code: string; message: string }) => {
    const out = new Outputs();
    out.add(dead.record(r, error), r);
    return dead.publish(out);
  };
  return async (r) => {
    const decoded = decodeJob(r.message.value);
    if (!decoded.ok) return deadLetter(r, decoded);
    const dispatcher = dispatchers[decoded.job.channel];
    if (!dispatcher)
      return deadLetter(r, {
        code: 'INVALID_EVENT',
        message: `channel ${decoded.job.channel} is not running`,
      });
    try {
      await dispatcher.run(decoded.job);
    } catch (err) {
      if (err instanceof AppError && err.retryable) throw err;
      const code = err instanceof AppError ? err.code : 'PROCESSING_FAILED';
      await deadLetter(r, { code, message: `delivery failed: ${(err as Error)?.message ?? String(err)}` });
    }
  };
}
