import type { RunningConsumer } from './consumer-loop.js';

/**
 * Starts consumers at once, each joining its group while the others join theirs: a process of many
 * groups is up in about the time of its slowest join rather than their sum (a join waits for every
 * other member of the group to rejoin, seconds each while other replicas are busy). Once every start
 * has settled, if any failed, the ones that started are stopped and the failure of the first in
 * `starts` that failed is thrown.
 */
export async function startTogether(
  starts: readonly (() => Promise<RunningConsumer | RunningConsumer[]>)[],
): Promise<RunningConsumer[]> {
  // A start that throws before its promise (a handler that cannot be built) fails like one that rejects.
  const settled = await Promise.allSettled(starts.map(async (start) => start()));
  const running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value].flat() : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(running.map((r) => r.stop()));
    throw failed.reason;
  }
  return running;
}
