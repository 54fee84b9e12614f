/**
 * Delay before retry `attempt` (1 = the first retry): doubles from `firstMs`, never above `maxMs`.
 * The one backoff of the Kafka edge: chunk retries, delayed-record retries and consumer restarts.
 */
export function backoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)), maxMs);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Retries kafkajs's retriable errors (leadership moving, a coordinator loading) for a little while:
 * right after topics are created or a broker starts, such answers are expected and short-lived.
 */
export async function retryingKafka<T>(fn: () => Promise<T>, attempts = 40, delayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await sleep(delayMs);
    }
  }
}
