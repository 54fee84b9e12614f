/**
 * Helpers for test/integration/kafka-cluster.test.ts: a three-node Kafka cluster started once per file,
 * speaking only SASL_SSL to its clients and between its brokers, as production does; partition
 * leaders and in-sync replicas, and the alerts a topic holds (load and readiness helpers are in
 * kafka-cluster-load.ts). Figures are printed as `[kafka-cluster]` lines.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Kafka, Kafka as KafkaClient, logLevel } from 'kafkajs';
import { kafkaHomeFromEnv } from '../../src/kafka/local-broker.js';
import { type LocalCluster, startLocalCluster } from '../../src/kafka/local-cluster.js';
import { uniqueName } from './env.js';
import { secureKafka } from './kafka-security.js';
import type { TestCa } from './tls-certs.js';

/** LOGIN_ALERTS_SCALE_TEST=full: the large size of a scenario. */
export function clusterScale(ci: number, full: number): number {
  return process.env.LOGIN_ALERTS_SCALE_TEST?.trim() === 'full' ? full : ci;
}

/** One figure for the lead's note: `[kafka-cluster] name: value`. */
export function figure(name: string, value: unknown): void {
  console.log(`[kafka-cluster] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

export interface TestCluster {
  cluster: LocalCluster;
  startMs: number;
  /** The CA of the brokers' and the clients' certificates; `remove()` it after the cluster stops. */
  ca: TestCa;
  /** The pipeline's Kafka settings: the brokers, SASL_SSL, a client certificate. */
  env: Record<string, string>;
}

/**
 * Starts the three nodes with a SASL_SSL listener (SCRAM-SHA-512, client certificates required) that
 * the brokers also use between themselves; progress on stderr when KAFKA_CLUSTER_DEBUG is set.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const started = Date.now();
  const secure = secureKafka('kafka-cluster-ca');
  const cluster = await startLocalCluster({
    nodes: 3,
    home: kafkaHomeFromEnv(process.env),
    security: secure.security,
    onProgress: (line) => {
      if (process.env.KAFKA_CLUSTER_DEBUG) process.stderr.write(`[kafka-cluster] ${line}\n`);
    },
  });
  const env = secure.env(cluster.brokers.join(','));
  return { cluster, startMs: Date.now() - started, ca: secure.ca, env };
}

/** A quiet kafkajs client of the cluster with the pipeline's credentials, retrying long enough to ride out a failover. */
export function clusterClient({ cluster, env }: TestCluster): Kafka {
  return new KafkaClient({
    clientId: uniqueName('kafka-cluster'),
    brokers: cluster.brokers,
    ssl: {
      ca: readFileSync(env.KAFKA_SSL_CA_FILE!, 'utf8'),
      cert: readFileSync(env.KAFKA_SSL_CERT_FILE!, 'utf8'),
      key: readFileSync(env.KAFKA_SSL_KEY_FILE!, 'utf8'),
    },
    sasl: {
      mechanism: 'scram-sha-512',
      username: env.KAFKA_SASL_USERNAME!,
      password: env.KAFKA_SASL_PASSWORD!,
    },
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Leader, replicas and ISR of every partition of `topic`, by partition number. */
export async function partitionsOf(admin: Admin, topic: string): Promise<PartitionState[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return (topics[0]?.partitions ?? [])
    .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
    .sort((a, b) => a.partition - b.partition);
}

/** A topic's min.insync.replicas as the broker reports it. */
export async function minInsyncOf(admin: Admin, topic: string): Promise<number> {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
    includeSynonyms: false,
  });
  const value = resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue;
  return Number(value);
}

/** Polls until every partition of `topics` has `count` replicas in sync; returns how long it took. */
export async function waitForIsr(admin: Admin, topics: string[], count: number, timeoutMs: number) {
  const started = Date.now();
  let short: string[] = [];
  while (Date.now() - started < timeoutMs) {
    short = [];
    for (const topic of topics) {
      try {
        for (const p of await partitionsOf(admin, topic))
          if (p.isr.length < count) short.push(`${topic}/${p.partition} isr=${p.isr.join(',')}`);
      } catch (err) {
        short.push(`${topic}: ${(err as Error).message}`);
      }
    }
    if (short.length === 0) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`ISR not back to ${count} within ${timeoutMs} ms: ${short.slice(0, 5).join('; ')}`);
}

export interface AlertsOnTopic {
  /** Records read. */
  records: number;
  /** Copies of each alert id. */
  copies: Map<string, number>;
  /** Alert ids published more than once with different content. */
  conflicting: string[];
}

/** Reads `topic` from the beginning until `expected` distinct alert ids were seen (or the timeout). */
export async function alertsOn(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<AlertsOnTopic> {
  const consumer = kafka.consumer({ groupId: uniqueName('alerts-reader'), maxWaitTimeInMs: 100 });
  const content = new Map<string, string>();
  const out: AlertsOnTopic = { records: 0, copies: new Map(), conflicting: [] };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        out.records++;
        const text = message.value?.toString('utf8') ?? '';
        const id = (JSON.parse(text) as { alert_id?: string }).alert_id ?? '(none)';
        out.copies.set(id, (out.copies.get(id) ?? 0) + 1);
        const seen = content.get(id);
        if (seen === undefined) content.set(id, text);
        else if (seen !== text && !out.conflicting.includes(id)) out.conflicting.push(id);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (out.copies.size < expected && Date.now() < deadline) await sleep(100);
    // Whatever a replay added after the last expected id arrives in the same fetches; give it a moment.
    await sleep(1_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
