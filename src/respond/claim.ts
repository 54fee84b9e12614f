// Claim: take the lease on each (alert, action) before calling the IdP, so nothing runs twice.
import { AppError } from '../errors.js';
import type { Job, RespondContext } from './context.js';

/** The claim's value once the action's record is published: `done:<status>`. */
export const DONE = 'done:';

/**
 * The jobs this responder now holds. A job already recorded (`done:…`) is dropped. One claimed by another
 * responder (maybe one that crashed between its claim and its record) makes the whole chunk wait: a
 * retryable RESPONSE_IN_FLIGHT, tried again by the consumer loop until that lease lapses and the claim is
 * ours. A crash before the record therefore repeats the call, which every action tolerates (ending a
 * session already ended answers not_found).
 */
export async function claim(ctx: RespondContext, jobs: Job[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  const claimed = await ctx.store.claim(
    jobs.map((j) => ({ key: j.key, value: 'claimed', ttlMs: ctx.leaseMs })),
  );
  const held = jobs.filter((_, i) => !claimed[i]);
  if (held.length > 0) {
    const states = await ctx.store.read(held.map((j) => j.key));
    const inFlight = held.filter((_, i) => !(states[i] ?? '').startsWith(DONE));
    if (inFlight.length > 0) {
      // Free what we just took, so the retried chunk claims it again rather than waiting on ourselves.
      const mine = jobs.filter((_, i) => claimed[i]);
      if (mine.length > 0) await ctx.store.write(mine.map((j) => ({ op: 'del' as const, key: j.key })));
      throw new AppError(
        'RESPONSE_IN_FLIGHT',
        `${inFlight.length} containment action(s) claimed by another responder; waiting for its lease`,
        { retryable: true },
      );
    }
  }
  return jobs.filter((_, i) => claimed[i]);
}
