/** The longest a provider's Retry-After may hold a delivery back (contract v1.1). */
export const MAX_RETRY_AFTER_S = 3600;

/** Delay before attempt `nextAttempt` (2 = first retry), with ±20% jitter so retries don't stampede. */
export function backoffDelayMs(
  stepsMs: readonly number[],
  nextAttempt: number,
  random: () => number = Math.random,
  retryAfterS?: number,
): number {
  const base = stepsMs[Math.min(nextAttempt - 2, stepsMs.length - 1)] ?? 1_000;
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  // A provider's own Retry-After wins when it asks for longer, up to an hour: a year's pause from
  // one answer would hold the whole retry tier behind it.
  const asked = Math.min(retryAfterS ?? 0, MAX_RETRY_AFTER_S);
  return Math.max(jittered, Number.isFinite(asked) ? asked * 1_000 : 0);
}

/**
 * The retry partition for a delay: one partition per backoff step, so every record in a partition
 * waits about as long as its neighbours and the head of a partition is always due first.
 */
export function retryTier(stepsMs: readonly number[], delayMs: number, partitions: number): number {
  let tier = stepsMs.findIndex((s) => delayMs <= s * 1.2);
  if (tier === -1) tier = stepsMs.length - 1;
  return Math.min(tier, partitions - 1);
}
