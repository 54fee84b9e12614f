import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicName } from '../config/schema.js';

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
};

/** Creates every missing topic; existing topics are left as they are (idempotent). */
export async function ensureTopics(
  admin: Admin,
  names: Record<TopicName, string>,
  replicationFactor = 1,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted: ITopicConfig[] = [];
  for (const [id, spec] of Object.entries(TOPIC_SPECS) as [TopicName, TopicSpec][]) {
    const topic = names[id];
    if (existing.has(topic)) continue;
    const configEntries = [];
    if (spec.compacted) configEntries.push({ name: 'cleanup.policy', value: 'compact' });
    if (spec.retentionMs) configEntries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
    wanted.push({ topic, numPartitions: spec.partitions, replicationFactor, configEntries });
  }
  if (wanted.length > 0) await createTopicsAndWait(admin, wanted);
  return wanted.map((t) => t.topic);
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
