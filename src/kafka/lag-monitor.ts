import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../observe/logger.js';
import type { ConsumerRef } from './supervisor.js';

/** One partition of one group as the broker has it: committed (-1n: none), low and end offsets. */
export interface PartitionOffsets {
  group: string;
  topic: string;
  partition: number;
  committed: bigint;
  low: bigint;
  end: bigint;
  /** The group waits on purpose (records carry a due time): its lag is reported, never a stall. */
  paced?: boolean;
}

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
  stalled: boolean;
  /** Since when the committed offset has not moved (epoch ms). */
  stillSince: number;
}

export interface LagReport {
  partitions: PartitionLag[];
  /** Partitions that became stalled in this poll, and those that moved again. */
  stalled: PartitionLag[];
  recovered: PartitionLag[];
}

/**
 * Decides stalls from successive offset polls; pure (time comes in). A partition is stalled once it
 * has lag and its committed offset has not moved for `stallAfterMs`; it recovers when the offset moves
 * or the lag is gone. Each stall is reported once when it begins and once when it ends.
 */
export class StallTracker {
  private readonly seen = new Map<string, { position: bigint; stillSince: number; stalled: boolean }>();

  constructor(private readonly stallAfterMs: number) {}

  observe(now: number, offsets: readonly PartitionOffsets[]): LagReport {
    const report: LagReport = { partitions: [], stalled: [], recovered: [] };
    for (const o of offsets) {
      const key = `${o.group}\u0000${o.topic}\u0000${o.partition}`;
      // No commit yet (or one below retention): the group reads from the partition's start.
      let position = o.committed;
      if (position < o.low) position = o.low;
      const lag = o.end > position ? Number(o.end - position) : 0;
      const state = this.seen.get(key) ?? { position, stillSince: now, stalled: false };
      const { stillSince, stalled: wasStalled } = state;
      if (state.position !== position || lag === 0) {
        state.position = position;
        state.stillSince = now;
      }
      state.stalled = !o.paced && lag > 0 && now - state.stillSince >= this.stallAfterMs;
      this.seen.set(key, state);
      // A recovered row keeps the start of its stall, so its log line can say how long it lasted.
      const row: PartitionLag = {
        group: o.group,
        topic: o.topic,
        partition: o.partition,
        lag,
        stalled: state.stalled,
        stillSince: wasStalled ? stillSince : state.stillSince,
      };
      report.partitions.push(row);
      if (state.stalled && !wasStalled) report.stalled.push(row);
      if (wasStalled && !state.stalled) report.recovered.push(row);
    }
    return report;
  }

  /** Drops what is known of groups no longer polled. */
  retain(groups: ReadonlySet<string>): void {
    for (const key of this.seen.keys()) if (!groups.has(key.split('\u0000')[0]!)) this.seen.delete(key);
  }
}

/** Offsets of every partition of `refs`' topics, one end-offsets query per topic and one per group. */
export async function fetchGroupOffsets(
  admin: Admin,
  refs: readonly ConsumerRef[],
): Promise<PartitionOffsets[]> {
  const topics = [...new Set(refs.flatMap((r) => r.topics))];
  const ends = new Map(
    await Promise.all(topics.map(async (t) => [t, await admin.fetchTopicOffsets(t)] as const)),
  );
  const out: PartitionOffsets[] = [];
  for (const ref of refs) {
    const committed = await admin.fetchOffsets({ groupId: ref.groupId, topics: [...ref.topics] });
    for (const { topic, partitions } of committed) {
      const byPartition = new Map(partitions.map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of ends.get(topic) ?? []) {
        out.push({
          group: ref.groupId,
          topic,
          partition: p.partition,
          committed: byPartition.get(p.partition) ?? -1n,
          low: BigInt(p.low),
          end: BigInt(p.high),
          paced: ref.paced,
        });
      }
    }
  }
  return out;
}

export interface LagMonitor {
  /** One poll now (tests; the timer keeps polling on its own). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Polls the committed and end offsets of every group in `groups()` through the admin client, so a
 * partition whose consumer is dead still shows its lag; logs each stall (PARTITION_STALLED) and its
 * end, and hands every poll's report (or failure) on.
 */
export function startLagMonitor(opts: {
  kafka: Kafka;
  log: Logger;
  stallAfterMs: number;
  groups: () => ConsumerRef[];
  onReport: (report: LagReport) => void;
  onError: (err: Error) => void;
  pollMs?: number;
  now?: () => number;
}): LagMonitor {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? Math.min(5_000, Math.max(500, Math.round(opts.stallAfterMs / 4)));
  const tracker = new StallTracker(opts.stallAfterMs);
  // Few retries: a broker away should show in readiness within a poll or two, not after a minute.
  const admin = opts.kafka.admin({ retry: { retries: 1, initialRetryTime: 200 } });
  let connected: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const pollOnce = async () => {
    const refs = opts.groups();
    tracker.retain(new Set(refs.map((r) => r.groupId)));
    if (refs.length === 0) return;
    try {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const report = tracker.observe(now(), await fetchGroupOffsets(admin, refs));
      for (const p of report.stalled) {
        const forS = Math.round((now() - p.stillSince) / 1000);
        opts.log.warn(
          { code: 'PARTITION_STALLED', group: p.group, topic: p.topic, partition: p.partition, lag: p.lag },
          `partition stalled: ${p.lag} records behind, committed offset still for ${forS} s`,
        );
      }
      for (const p of report.recovered) {
        const forS = Math.round((now() - p.stillSince) / 1000);
        opts.log.info(
          {
            code: 'PARTITION_STALLED',
            recovered: true,
            group: p.group,
            topic: p.topic,
            partition: p.partition,
            lag: p.lag,
          },
          `partition moving again after ${forS} s`,
        );
      }
      opts.onReport(report);
    } catch (err) {
      opts.onError(err as Error);
    }
  };
  const poll = () => {
    running = running.then(pollOnce);
    return running;
  };
  const loop = () => {
    timer = setTimeout(async () => {
      await poll();
      if (!stopped) loop();
    }, pollMs);
  };
  loop();
  return {
    poll,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (connected) await admin.disconnect().catch(() => {});
    },
  };
}
