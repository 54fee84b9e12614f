// Claim: take the delivery log's lease for each candidate; what another sender holds waits.
import { retryTier } from '../backoff.js';
import type { BatchOutput, Candidate, DispatchContext } from './context.js';

/**
 * The candidates this sender now holds a lease on. One whose key is already `sent` or `done` is
 * dropped; one still `claimed` by another sender (maybe one that crashed) goes back on the retry
 * topic to be looked at again once the lease lapses.
 */
export async function claim(
  ctx: DispatchContext,
  candidates: Candidate[],
  batch: BatchOutput,
): Promise<Candidate[]> {
  const { store, config, leaseMs } = ctx;
  const claimed = await store.claim(
    candidates.map((c) => ({ key: c.key, value: 'claimed', ttlMs: leaseMs })),
  );
  const taken = candidates.filter((_, i) => !claimed[i]);
  if (taken.length > 0) {
    const states = await store.read(taken.map((c) => c.key));
    for (const [i, { job }] of taken.entries()) {
      if (states[i] !== 'claimed') continue; // already sent or settled
      const partition = retryTier(config.delivery.backoffMs, leaseMs, ctx.partitions);
      const wait = { ...job, due_at: new Date(ctx.now() + leaseMs).toISOString() };
      batch.out.push({ topic: config.topics.retry, key: job.request.account_id, partition, value: wait });
    }
  }
  return candidates.filter((_, i) => claimed[i]);
}
