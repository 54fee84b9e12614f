import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicName } from '../config/schema.js';
import { minInsyncFor } from './broker-config.js';

/**
 * The largest record batch a topic takes: the broker's default `max.message.bytes` (1 MiB plus the
 * 12-byte log overhead), which the topics we create keep. A record that alone is larger is never sent.
 */
export const MAX_MESSAGE_BYTES = 1_048_588;

interface TopicSpec {
  partitions: number;
  compacted?: boolean;
  retentionMs?: number;
}

/**
 * Partition counts: auth.events carries the volume (12 lets up to 12 consumers share it);
 * the retry topic uses one partition per backoff tier, so records in a partition share a delay
 * and the head is always due first.
 */
export const TOPIC_SPECS: Record<TopicName, TopicSpec> = {
  authEvents: { partitions: 12 },
  accountSecurity: { partitions: 6, compacted: true },
  loginAlerts: { partitions: 6 },
  loginAlertsOcsf: { partitions: 6 },
  trainingExclusions: { partitions: 6, compacted: true },
  deliveries: { partitions: 6 },
  notifications: { partitions: 6 },
  retry: { partitions: 6 },
  dlq: { partitions: 3, retentionMs: 30 * 24 * 3600 * 1000 },
  responses: { partitions: 6 },
};

/**
 * Creates every missing topic with `replicationFactor` replicas (default: the smaller of 3 and the
 * brokers the cluster reports) and, when replicated, min.insync.replicas from `minInsyncFor`.
 * Existing topics are left as they are (idempotent).
 */
export async function ensureTopics(
  admin: Admin,
  names: Record<TopicName, string>,
  replicationFactor?: number,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = (Object.entries(TOPIC_SPECS) as [TopicName, TopicSpec][]).filter(
    ([id]) => !existing.has(names[id]),
  );
  if (missing.length === 0) return [];
  const replicas =
    replicationFactor ?? defaultReplicationFactor((await admin.describeCluster()).brokers.length);
  const wanted: ITopicConfig[] = missing.map(([id, spec]) => ({
    topic: names[id],
    numPartitions: spec.partitions,
    replicationFactor: replicas,
    configEntries: topicConfig(spec, replicas),
  }));
  await createTopicsAndWait(admin, wanted);
  return wanted.map((t) => t.topic);
}

/** KAFKA_REPLICATION_FACTOR's default for a cluster of `brokers`: all of them, at most 3. */
export function defaultReplicationFactor(brokers: number): number {
  return Math.max(1, Math.min(3, brokers));
}

function topicConfig(spec: TopicSpec, replicas: number): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [];
  if (spec.compacted) entries.push({ name: 'cleanup.policy', value: 'compact' });
  if (spec.retentionMs) entries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
  // One replica: the broker's own default (1) is the only value that can work.
  if (replicas > 1) entries.push({ name: 'min.insync.replicas', value: String(minInsyncFor(replicas)) });
  return entries;
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own `waitForLeaders` only
 * retries "leader not available", while a busy KRaft broker briefly answers "unknown topic" right
 * after a create (tulios/kafkajs#1563); polling metadata ourselves covers both.
 */
export async function createTopicsAndWait(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 30_000,
): Promise<void> {
  // Another replica may create the same topics concurrently: "already exists" is success.
  await admin.createTopics({ topics, waitForLeaders: false }).catch((err: Error) => {
    if (!/already exists/i.test(err.message)) throw err;
  });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      const ready = topics.every((wanted) => {
        const partitions = found.find((t) => t.name === wanted.topic)?.partitions ?? [];
        return (
          partitions.length === (wanted.numPartitions ?? (partitions.length || 1)) &&
          partitions.every((p) => p.leader >= 0)
        );
      });
      if (ready) return;
      last = 'some partitions have no leader yet';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} not ready after ${timeoutMs} ms: ${last}`);
    await sleep(100);
  }
}
