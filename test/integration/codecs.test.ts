/**
 * Every codec Kafka has, on the real broker, against Kafka's own Java client (kafka-clients from the
 * broker's jars): what Java writes, login-alerts reads and alerts on; what login-alerts writes with
 * each KAFKA_COMPRESSION value, Java and login-alerts read back.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import kafkajs, { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { loadConfig } from '../../src/config/config.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { createKafka } from '../../src/kafka/client.js';
import { COMPRESSION_TYPES, type Codec, type CompressionName } from '../../src/kafka/codecs.js';
import { ensureKafkaJars, kafkaHomeFromEnv } from '../../src/kafka/local-broker.js';
import { createPublisher } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/observe/logger.js';
import { createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { startTestPipeline, type TestPipeline } from '../support/pipeline-harness.js';

const { CompressionCodecs } = kafkajs;
const JAVA_CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const ALL_CODECS: CompressionName[] = ['none', ...JAVA_CODECS];
const JAVA_SOURCE = fileURLToPath(new URL('../fixtures/java/KafkaCodecs.java', import.meta.url));

let libDir: string;
let kafka: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  libDir = (await ensureKafkaJars({ home: kafkaHomeFromEnv(process.env) })).libDir;
  kafka = createKafka(loadConfig({ KAFKA_BROKERS: kafkaBrokers().join(',') }), silentLogger());
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await admin?.disconnect();
});

/** Runs KafkaCodecs.java with the java and classpath the local broker runs on; resolves with its stdout. */
function java(args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'java',
      ['-Xmx256m', '-cp', join(libDir, '*'), JAVA_SOURCE, args[0]!, kafkaBrokers()[0]!, ...args.slice(1)],
      { timeout: 90_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
    child.stdin?.end(stdin);
  });
}

/** The Java producer writes each record with its codec (one producer per codec), all acknowledged. */
const javaProduce = (records: { codec: string; topic: string; key: string; value: string }[]) =>
  java(['produce'], records.map((r) => `${r.codec}\t${r.topic}\t${r.key}\t${r.value}\n`).join(''));

/** The Java consumer's first `count` records of `topic`, as key and value. */
async function javaConsume(topic: string, count: number): Promise<{ key: string; value: string }[]> {
  const out = await java(['consume', topic, String(count)]);
  return out
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [key, value] = l.split('\t', 2);
      return { key: key!, value: value! };
    });
}

/** Reads `count` records of `topic` from the beginning with a login-alerts client (all codecs registered). */
async function readAll(topic: string, count: number): Promise<{ key: string; value: string }[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('codecs-read'), maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<string, { key: string; value: string }>();
  // A batch that cannot be decoded stops the consumer for good (no restart): fail at once, with why.
  const crashed = new Promise<never>((_, reject) =>
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) reject(e.payload.error);
    }),
  );
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.set(`${partition}:${message.offset}`, {
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
      });
    },
  });
  const deadline = Date.now() + 30_000;
  const done = (async () => {
    while (seen.size < count && Date.now() < deadline) await sleep(50);
  })();
  await Promise.race([done, crashed]);
  await consumer.disconnect();
  return [...seen.values()];
}

/** Counts calls of one method of the codec kafkajs has registered for `name`, until restored. */
function countCalls(name: Exclude<CompressionName, 'none'>, method: keyof Codec) {
  const codec = (CompressionCodecs as Record<number, () => Record<keyof Codec, (arg: unknown) => unknown>>)[
    COMPRESSION_TYPES[name]
  ]!();
  const original = codec[method];
  let calls = 0;
  codec[method] = (arg) => {
    calls++;
    return original.call(codec, arg);
  };
  return {
    calls: () => calls,
    restore: () => {
      codec[method] = original;
    },
  };
}

async function freshTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
  return topic;
}

describe("records Kafka's Java producer wrote", () => {
  it('are read by a login-alerts consumer for every codec, each in a batch of several records', async () => {
    const topics = Object.fromEntries(
      await Promise.all(JAVA_CODECS.map(async (c) => [c, await freshTopic(`codecs-java-${c}`)] as const)),
    );
    const records = JAVA_CODECS.flatMap((codec) =>
      Array.from({ length: 40 }, (_, i) => ({
        codec,
        topic: topics[codec]!,
        key: `acct-${i % 7}`,
        value: JSON.stringify(signIn(`acct-${i % 7}`, { product: `${codec}-${i}` })),
      })),
    );
    await javaProduce(records);
    for (const codec of JAVA_CODECS) {
      const decompress = countCalls(codec, 'decompress');
      try {
        const read = await readAll(topics[codec]!, 40);
        const sent = records.filter((r) => r.codec === codec).map(({ key, value }) => ({ key, value }));
        expect(read).toEqual(sent);
      } finally {
        decompress.restore();
      }
      expect(decompress.calls()).toBeGreaterThan(0);
    }
  });
});

describe('the login-events pipeline', () => {
  let t: TestPipeline;
  beforeAll(async () => {
    t = await startTestPipeline('memory', {
      only: ['account-security', 'login-events'],
      env: { KAFKA_COMPRESSION: 'lz4' },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("alerts on a sign-in Kafka's Java producer wrote with each of gzip, snappy, lz4 and zstd, writing with KAFKA_COMPRESSION", async () => {
    const accounts = JAVA_CODECS.map((c) => `${uniqueName('acct')}-${c}`);
    await t.publish(
      'accountSecurity',
      accounts.map((a) => ({ key: a, value: profile(a) })),
    );
    for (const a of accounts) await t.profileApplied(a);
    const alerts = await t.watch('loginAlerts');
    const events = accounts.map((a) => signIn(a));
    // Counted from here: what the pipeline's own publisher writes (alerts, notification requests).
    const compress = countCalls('lz4', 'compress');
    try {
      await javaProduce(
        JAVA_CODECS.map((codec, i) => ({
          codec,
          topic: t.config.topics.authEvents,
          key: accounts[i]!,
          value: JSON.stringify(events[i]),
        })),
      );
      for (const [i, account] of accounts.entries()) {
        const mine = await alerts.waitFor(1, account, 30_000);
        expect(mine.map((a) => (a.value as LoginAlert).session_id)).toEqual([events[i]!.session_id]);
      }
    } finally {
      compress.restore();
    }
    expect(compress.calls()).toBeGreaterThan(0);
  });
});

describe('what login-alerts produces with each KAFKA_COMPRESSION value', () => {
  it.each(ALL_CODECS)('%s: goes through the codec and is read by Java and by login-alerts', async (name) => {
    const topic = await freshTopic(`codecs-ours-${name}`);
    const type = COMPRESSION_TYPES[name];
    // The registered codec's compress calls: the batches really were written with it.
    const compress = name === 'none' ? undefined : countCalls(name, 'compress');
    const publisher = await createPublisher(kafka, { compression: type });
    // Large enough for several lz4 and snappy blocks, and for zstd's and gzip's windows to matter.
    const records = Array.from({ length: 300 }, (_, i) => ({
      topic,
      key: `acct-${i % 11}`,
      value: signIn(`acct-${i % 11}`, { product: `p-${i}-${'x'.repeat(i % 400)}` }),
    }));
    try {
      await publisher.publish(records);
    } finally {
      compress?.restore();
      await publisher.close();
    }
    if (compress) expect(compress.calls()).toBeGreaterThan(0);
    const expected = records.map((r) => ({ key: r.key, value: JSON.stringify(r.value) }));
    expect(await readAll(topic, records.length)).toEqual(expected);
    expect(await javaConsume(topic, records.length)).toEqual(expected);
  });
});
