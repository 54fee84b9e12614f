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
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
