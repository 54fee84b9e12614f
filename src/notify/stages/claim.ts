// Claim: take the delivery log's lease for each candidate; what another sender holds waits.
import type { DeliveryJob } from '../../contracts/notification.js';
import { keys } from '../../state/keys.js';
import { retryTier } from '../backoff.js';
import { type BatchOutput, type Candidate, type DispatchContext, markTtlMs, receipt } from './context.js';
import { readAccepted } from './record.js';

/**
 * The candidates this sender now holds a lease on. One whose key is already `sent` or `done` is
 * dropped; one still `claimed` by another sender (maybe one that crashed) goes back on the retry
 * topic to be looked at again once the lease lapses. One `accepted` (sent, its batch not yet
 * settled) waits the same lease from its acceptance; past it, its sender is taken to be gone (a
 * live one settles within the lease) and the `sent` receipt is published here, without a send.
 */
export async function claim(
  ctx: DispatchContext,
  candidates: Candidate[],
  batch: BatchOutput,
): Promise<Candidate[]> {
  const { store, leaseMs } = ctx;
  const claimed = await store.claim(
    candidates.map((c) => ({ key: c.key, value: 'claimed', ttlMs: leaseMs })),
  );
  const taken = candidates.filter((_, i) => !claimed[i]);
  if (taken.length > 0) {
    const states = await store.read(taken.map((c) => c.key));
    for (const [i, { job, key }] of taken.entries()) {
      const accepted = readAccepted(states[i]);
      if (accepted && ctx.now() - accepted.at >= leaseMs) {
        adopt(ctx, job, key, accepted.providerMessageId, batch);
      } else if (accepted) {
        waitFor(ctx, job, accepted.at + leaseMs - ctx.now(), batch);
      } else if (states[i] === 'claimed') {
        waitFor(ctx, job, leaseMs, batch);
      } // else already sent or settled
    }
  }
  return candidates.filter((_, i) => claimed[i]);
}

/** The job again on the retry topic, due once `waitMs` has passed. */
function waitFor(ctx: DispatchContext, job: DeliveryJob, waitMs: number, batch: BatchOutput): void {
  const { config } = ctx;
  const partition = retryTier(config.delivery.backoffMs, waitMs, ctx.partitions);
  const wait = { ...job, due_at: new Date(ctx.now() + waitMs).toISOString() };
  batch.out.push({ topic: config.topics.retry, key: job.request.account_id, partition, value: wait });
}

/** Settles a send another sender had accepted and left unsettled: its receipt, then `sent`. */
function adopt(
  ctx: DispatchContext,
  job: DeliveryJob,
  key: string,
  providerMessageId: string | undefined,
  batch: BatchOutput,
): void {
  batch.out.push(
    receipt(ctx, job, 'sent', providerMessageId ? { provider_message_id: providerMessageId } : {}),
  );
  const guard = keys.profile(job.request.account_id);
  batch.writes.push({ op: 'set', key, value: 'sent', ttlMs: markTtlMs(ctx), guard });
}
