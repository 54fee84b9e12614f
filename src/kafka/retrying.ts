import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Delay before retry `attempt` (1 = the first retry): doubles from `firstMs`, never above `maxMs`.
 * The one backoff of the Kafka edge: chunk retries, delayed-record retries and consumer restarts.
 */
export function backoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)), maxMs);
}

export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
  /**
   * Hears try `attempt` fail, before the wait of `waitMs`. Throwing ends the retries with what it
   * throws (the failure is for good, or the caller is stopping); returning means try again.
   */
  failed: (err: unknown, attempt: number, waitMs: number) => void;
  /** The wait after a failure, when the failure itself says how long (a Retry-After); default the backoff. */
  waitMs?: (err: unknown, backoffMs: number) => number;
  /**
   * Runs during each wait, every KEEP_ALIVE_MS, and once after it, before the next try: a heartbeat that
   * keeps the group membership through a wait longer than the group's session timeout (a Retry-After).
   * It must not throw.
   */
  keepAlive?: () => Promise<void>;
  /** Hears a try succeed after at least one failure. */
  recovered?: () => void;
}

/** Runs `fn` until it succeeds or `policy.failed` throws, waiting `backoffMs` between tries. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await fn();
      if (attempt > 1) policy.recovered?.();
      return value;
    } catch (err) {
      const backoff = backoffMs(attempt, policy.firstMs, policy.maxMs);
      const waitMs = policy.waitMs ? policy.waitMs(err, backoff) : backoff;
      policy.failed(err, attempt, waitMs);
      await wait(waitMs, policy.keepAlive);
    }
  }
}

/** How often a wait runs its keep-alive: well inside the shortest session timeout a broker allows (6 s). */
export const KEEP_ALIVE_MS = 1_000;

async function wait(ms: number, keepAlive: (() => Promise<void>) | undefined): Promise<void> {
  if (!keepAlive) return void (await sleep(ms));
  for (let left = ms; left > 0; left -= KEEP_ALIVE_MS) {
    await sleep(Math.min(left, KEEP_ALIVE_MS));
    if (left > KEEP_ALIVE_MS) await keepAlive();
  }
  await keepAlive();
}

/**
 * Retries kafkajs's retriable errors (leadership moving, a coordinator loading) for a little while:
 * right after topics are created or a broker starts, such answers are expected and short-lived.
 */
export function retryingKafka<T>(fn: () => Promise<T>, attempts = 40, delayMs = 250): Promise<T> {
  return retryWithBackoff(fn, {
    firstMs: delayMs,
    maxMs: delayMs,
    failed: (err, attempt) => {
      if (attempt >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
    },
  });
}
