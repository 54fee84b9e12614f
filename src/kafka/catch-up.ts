import type { Admin, Kafka } from 'kafkajs';
import {
  type ChunkHandler,
  type ConsumerLoopOptions,
  type RunningConsumer,
  runConsumerLoop,
} from './consumer-loop.js';
import { retryingKafka } from './retrying.js';

/** How often a durable group's committed offsets are looked at again while catching up. */
const POLL_MS = 500;

/**
 * Knows where a topic ended when we started, and tells when it has been read up to there.
 * With a durable group, committed offsets count as read, also while catching up: replicas share the
 * group's partitions, so each reads only some of them and learns of the others from the commits of
 * the members that own them (otherwise a replica started beside another waited for ever).
 */
export async function catchUpTracker(kafka: Kafka, topic: string, groupId?: string) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const done = new Map<number, bigint>();
  let resolve!: () => void;
  const caughtUp = new Promise<void>((r) => {
    resolve = r;
  });
  let finished = false;
  const check = () => {
    if (finished) return;
    for (const [p, end] of ends) if ((done.get(p) ?? 0n) < end) return;
    finished = true;
    resolve();
  };
  const advance = (partition: number, next: bigint) => {
    if (next > (done.get(partition) ?? 0n)) done.set(partition, next);
  };
  const readCommitted = async (client: Admin) => {
    const [committed] = await retryingKafka(() =>
      client.fetchOffsets({ groupId: groupId!, topics: [topic] }),
    );
    for (const p of committed?.partitions ?? []) advance(p.partition, BigInt(p.offset));
  };

  try {
    for (const p of await retryingKafka(() => admin.fetchTopicOffsets(topic))) {
      ends.set(p.partition, BigInt(p.high));
      done.set(p.partition, BigInt(p.low));
    }
    if (groupId) await readCommitted(admin);
  } catch (err) {
    await admin.disconnect();
    throw err;
  }
  check();

  // Until caught up, the group's commits are polled; a failed look is tried again next time.
  let timer: NodeJS.Timeout | undefined;
  const stopPolling = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    await admin.disconnect();
  };
  const poll = () => {
    timer = setTimeout(async () => {
      await readCommitted(admin).catch(() => {});
      check();
      if (finished) await stopPolling();
      else if (timer) poll();
    }, POLL_MS);
    timer.unref();
  };
  if (groupId && !finished) poll();
  else await admin.disconnect();

  return {
    caughtUp,
    /** True for records that were already in the topic when we started. */
    isHistory: (partition: number, offset: string) => BigInt(offset) < (ends.get(partition) ?? 0n),
    processed(partition: number, offset: string) {
      advance(partition, BigInt(offset) + 1n);
      check();
    },
    /** Stops looking at the group's commits (the consumer stopped before catching up). */
    close: stopPolling,
  };
}

export type CatchUpTracker = Awaited<ReturnType<typeof catchUpTracker>>;

/**
 * A consumer loop over `topic` whose handled chunks advance `tracker`: `caughtUp` resolves once the
 * topic is read to where it ended at start. Stopping stops both; a loop that cannot start closes it.
 */
export async function runCatchingUp(
  opts: Omit<ConsumerLoopOptions, 'topics' | 'handler'> & { topic: string; handler: ChunkHandler },
  tracker: CatchUpTracker,
): Promise<{ running: RunningConsumer; caughtUp: Promise<void> }> {
  const { topic, handler, ...loop } = opts;
  let running: RunningConsumer;
  try {
    running = await runConsumerLoop({
      ...loop,
      topics: [topic],
      handler: async (records) => {
        await handler(records);
        const last = records[records.length - 1]!;
        tracker.processed(last.partition, last.message.offset);
      },
    });
  } catch (err) {
    await tracker.close();
    throw err;
  }
  const stop = async () => {
    await tracker.close();
    await running.stop();
  };
  return { running: { consumer: running.consumer, stop }, caughtUp: tracker.caughtUp };
}
