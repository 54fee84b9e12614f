// Record: a send the provider accepted is written to the delivery log at once, before its batch
// settles, so a crash repeats only the sends still in flight and those whose record is in flight.
import { toAppError } from '../../errors.js';
import { keys } from '../../state/keys.js';
import type { Outcome } from './classify.js';
import { type Candidate, type DispatchContext, markTtlMs } from './context.js';

const ACCEPTED = 'accepted';

/** An accepted send as the delivery log holds it until its `sent` receipt is published. */
export interface Accepted {
  /** when the provider accepted it (ms since the epoch, the sender's clock) */
  at: number;
  providerMessageId?: string;
}

/** The delivery-log value of a send accepted at `at`: `accepted <at>[ <provider message id>]`. */
export function acceptedMark({ at, providerMessageId }: Accepted): string {
  return providerMessageId ? `${ACCEPTED} ${at} ${providerMessageId}` : `${ACCEPTED} ${at}`;
}

/** The accepted send a delivery-log value names, or undefined for any other state. */
export function readAccepted(value: string | undefined): Accepted | undefined {
  if (!value?.startsWith(`${ACCEPTED} `)) return undefined;
  const [, at, ...id] = value.split(' ');
  const ms = Number(at);
  if (!Number.isSafeInteger(ms)) return undefined;
  return id.length > 0 ? { at: ms, providerMessageId: id.join(' ') } : { at: ms };
}

/**
 * Writes the `accepted` mark of a send the provider accepted, and resolves once it is in the store
 * (any other outcome sent nothing and is written with its batch). A failed write is logged and
 * left to the batch's commit, which writes the mark again after the receipts.
 */
export async function record(ctx: DispatchContext, c: Candidate, outcome: Outcome): Promise<void> {
  if (outcome.kind !== 'sent') return;
  const value = acceptedMark({ at: ctx.now(), providerMessageId: outcome.providerMessageId });
  const guard = keys.profile(c.job.request.account_id);
  try {
    await ctx.recorder.write({ op: 'set', key: c.key, value, ttlMs: markTtlMs(ctx), guard });
  } catch (err) {
    const { code, retryable } = toAppError(err);
    ctx.log.warn({ code, retryable, channel: ctx.channel }, 'recording a send failed (its batch writes it)');
  }
}
