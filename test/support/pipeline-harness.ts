/** Starts the real pipeline in-process on private topics, and reads what it produces. */

import { mkdtempSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Channel, ChannelName } from '../../src/channels/channel.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { TOPIC_ENV, type TopicName } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observe/logger.js';
import { type ConsumerName, type RunningPipeline, startPipeline } from '../../src/runtime/pipeline.js';
import { keys } from '../../src/state/keys.js';
import { kafkaBrokers, redisUrl, uniqueName } from './env.js';

/** Environment for a private copy of the pipeline: its own topics, group, outbox and port. */
export function testEnv(
  store: 'memory' | 'redis',
  extra: Record<string, string> = {},
): Record<string, string> {
  const prefix = uniqueName('t');
  const env: Record<string, string> = {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_GROUP_ID: `${prefix}-group`,
    OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'login-alerts-outbox-')),
    HTTP_PORT: '0',
    ADMIN_PORT: '0',
    LOG_LEVEL: 'silent',
    ALERT_LINK_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...extra,
  };
  // Private topics, unless the caller names one (a second pipeline reading the first one's events).
  for (const [id, name] of Object.entries(TOPIC_ENV)) env[name] = extra[name] ?? `${prefix}.${id}`;
  // The shared Redis unless the caller brought its own.
  if (store === 'redis') env.REDIS_URL = extra.REDIS_URL ?? redisUrl();
  return env;
}

export interface TestPipeline {
  config: Config;
  pipeline: RunningPipeline;
  publish(topic: TopicName, records: { key: string; value: unknown }[]): Promise<void>;
  /** Starts collecting a topic's records (from the beginning); read them with `records()`. */
  watch(topic: TopicName): Promise<Watch>;
  /** Waits until the store holds the account's profile (the profile consumer has applied it). */
  profileApplied(accountId: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Watch {
  values: { key: string; value: unknown }[];
  /** Waits for `count` records whose key is `key` (all records when omitted); returns those records. */
  waitFor(count: number, key?: string, timeoutMs?: number): Promise<{ key: string; value: unknown }[]>;
  stop(): Promise<void>;
}

export async function startTestPipeline(
  store: 'memory' | 'redis',
  opts: {
    env?: Record<string, string>;
    only?: ConsumerName[];
    channels?: Partial<Record<ChannelName, Channel>>;
    /** The agent Shared Signals pushes use (one that trusts the test receiver's CA). */
    signalsAgent?: https.Agent;
  } = {},
): Promise<TestPipeline> {
  const config = loadConfig(testEnv(store, opts.env));
  const pipeline = await startPipeline(config, silentLogger(), {
    only: opts.only,
    onProgress: () => {},
    channels: opts.channels,
    signalsAgent: opts.signalsAgent,
  });
  const watches: Watch[] = [];
  const t: TestPipeline = {
    config,
    pipeline,
    publish: (topic, records) =>
      pipeline.services.publisher.publish(
        records.map((r) => ({ topic: config.topics[topic], key: r.key, value: r.value })),
      ),
    async watch(topic) {
      const w = await watchTopic(pipeline, config.topics[topic]);
      watches.push(w);
      return w;
    },
    async profileApplied(accountId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const [v] = await pipeline.services.store.read([keys.profile(accountId)]);
        if (v) return;
        await sleep(50);
      }
      throw new Error(`profile ${accountId} not applied within ${timeoutMs} ms`);
    },
    async stop() {
      await Promise.allSettled(watches.map((w) => w.stop()));
      await pipeline.stop();
    },
  };
  return t;
}

async function watchTopic(pipeline: RunningPipeline, topic: string): Promise<Watch> {
  const consumer: Consumer = pipeline.services.kafka.consumer({
    groupId: uniqueName('watch'),
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: { key: string; value: unknown }[] = [];
  // The reader itself gets at-least-once delivery: count each offset once.
  const seen = new Set<string>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const at = `${partition}/${message.offset}`;
      if (seen.has(at)) return;
      seen.add(at);
      const text = message.value?.toString('utf8');
      values.push({
        key: message.key?.toString('utf8') ?? '',
        value: text === undefined ? null : JSON.parse(text),
      });
    },
  });
  return {
    values,
    async waitFor(count, key, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      const mine = () => (key === undefined ? values : values.filter((v) => v.key === key));
      while (mine().length < count && Date.now() < deadline) await sleep(50);
      if (mine().length < count)
        throw new Error(`expected ${count} records on ${topic}, saw ${mine().length}`);
      return mine();
    },
    stop: () => consumer.disconnect(),
  };
}
