/** Per-account memory of failed sign-ins. */
export interface FailureState {
  /** Times of recent failures, epoch ms, ascending; at most `MAX_FAILURE_ATTEMPTS` (or the threshold, if larger). */
  attempts: number[];
  /** When the last failure_burst alert was raised. */
  lastAlertAt?: number;
}

/** Grouping rule: alert when `threshold` failures fall within `windowMs`. */
export interface FailureBurstOptions {
  threshold: number;
  windowMs: number;
}

/** Contract defaults: 3 failures within 15 minutes. */
export const DEFAULT_FAILURE_BURST: Readonly<FailureBurstOptions> = Object.freeze({
  threshold: 3,
  windowMs: 15 * 60_000,
});

/** How many attempt times are kept; counts above it are reported as this many. */
export const MAX_FAILURE_ATTEMPTS = 64;

/**
 * Records one failed sign-in at `at` and says whether it completes a burst.
 * The first alert comes when the failures within the window reach the threshold; after that, at most one
 * more per window: the next needs a full window since the last alert and the threshold still met.
 * "Now" is the newest failure seen, so a late, out-of-order failure is counted if it is still in the window
 * but does not move the clock back.
 */
export function recordFailure(
  state: FailureState | undefined,
  at: number,
  opts: FailureBurstOptions,
): { state: FailureState; alert: { count: number } | undefined } {
  const threshold = Math.max(1, Math.floor(opts.threshold));
  const cap = Math.max(MAX_FAILURE_ATTEMPTS, threshold);
  const all = [...(state?.attempts ?? []), at].filter(Number.isFinite).sort((a, b) => a - b);
  const now = all.at(-1) ?? at;
  // Inclusive window: failures exactly `windowMs` apart are "within" it.
  const attempts = all.filter((t) => t >= now - opts.windowMs).slice(-cap);
  const count = attempts.length;
  const last = state?.lastAlertAt;
  const quiet = last === undefined || !Number.isFinite(last) || now - last >= opts.windowMs;
  if (count >= threshold && quiet) {
    return { state: { attempts, lastAlertAt: now }, alert: { count } };
  }
  const next: FailureState = { attempts };
  if (last !== undefined) next.lastAlertAt = last;
  return { state: next, alert: undefined };
}
