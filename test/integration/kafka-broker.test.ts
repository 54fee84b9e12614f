/**
 * The broker the harness starts (or KAFKA_BROKERS) against kafkajs 2.2.4: the evidence that the Kafka version
 * pinned in kafka/pom.xml works with the client for everything login-alerts relies on.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigResourceTypes, type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaHomeFromEnv, startLocalBroker } from '../../src/kafka/local-broker.js';
import { createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';

const kafka = new Kafka({
  clientId: 'kafka-broker-test',
  brokers: kafkaBrokers(),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
// Idempotent: a send retried on a slow machine must not write a record twice.
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
  idempotent: true,
  maxInFlightRequests: 1,
});
const consumers: Consumer[] = [];

/** A consumer tuned like the pipeline's: short fetch waits and heartbeats, so rebalances take a moment. */
function newConsumer(groupId: string): Consumer {
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    heartbeatInterval: 500,
    sessionTimeout: 10_000,
    allowAutoTopicCreation: false,
  });
  consumers.push(consumer);
  return consumer;
}

async function createTopic(partitions: number, configEntries: { name: string; value: string }[] = []) {
  const topic = uniqueName('broker-test');
  await createTopicsAndWait(admin, [
    { topic, numPartitions: partitions, replicationFactor: 1, configEntries },
  ]);
  return topic;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
});

afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

describe('the local Kafka broker with kafkajs 2.2.4', () => {
  test('creates a compacted topic and reports cleanup.policy=compact for it, delete for a plain one', async () => {
    const compacted = await createTopic(3, [{ name: 'cleanup.policy', value: 'compact' }]);
    const plain = await createTopic(2);

    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: compacted, configNames: ['cleanup.policy'] },
        { type: ConfigResourceTypes.TOPIC, name: plain, configNames: ['cleanup.policy'] },
      ],
    });
    const policy = (name: string) =>
      described.resources
        .find((r) => r.resourceName === name)
        ?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    expect(policy(compacted)).toBe('compact');
    expect(policy(plain)).toBe('delete');

    const metadata = await admin.fetchTopicMetadata({ topics: [compacted, plain] });
    const partitions = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [compacted]: 3, [plain]: 2 });
  });

  test('does not create topics implicitly: producing to an unknown topic fails', async () => {
    const missing = uniqueName('never-created');
    const impatient = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true, // asks the broker to create it; auto.create.topics.enable=false must refuse
      retry: { retries: 1, initialRetryTime: 100 },
    });
    await impatient.connect();
    try {
      await expect(impatient.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await impatient.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(missing);
  });

  test('a group consumer with eachBatch receives every message in key order and commits its offsets', async () => {
    const topic = await createTopic(3);
    const groupId = uniqueName('group');
    const accounts = ['acct-a', 'acct-b', 'acct-c', 'acct-d'];
    const sent = accounts.flatMap((account) =>
      Array.from({ length: 10 }, (_, seq) => ({ key: account, value: JSON.stringify({ account, seq }) })),
    );
    await producer.send({ topic, acks: -1, messages: sent });

    // Kafka delivers at least once: a batch fetched around a group (re)join can come twice, with the
    // same offsets. Count each offset once; everything must be there, in order, and committed.
    const received: { account: string; seq: number }[] = [];
    const seen = new Set<string>();
    const consumer = newConsumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          const at = `${batch.partition}/${message.offset}`;
          if (!seen.has(at)) received.push(JSON.parse(message.value!.toString()));
          seen.add(at);
          resolveOffset(message.offset);
        }
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(batch.lastOffset()) + 1n).toString(),
          },
        ]);
        await heartbeat();
      },
    });
    await waitFor('40 messages', () => received.length >= sent.length);

    expect(received).toHaveLength(sent.length);
    for (const account of accounts) {
      // One account's events share a partition, so they arrive in the order they were produced.
      expect(received.filter((m) => m.account === account).map((m) => m.seq)).toEqual([...Array(10).keys()]);
    }
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = Object.fromEntries(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
    for (const end of ends) expect(byPartition[end.partition]).toBe(end.high);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(40);
  });

  test('a second member joining the group takes over part of the partitions', async () => {
    const topic = await createTopic(6);
    const groupId = uniqueName('group');
    const assignments = new Map<string, number[]>();
    const seenBy = new Map<string, Set<number>>();
    let received = 0;
    const fetchesSinceJoin = new Map<string, number>();

    const join = async (name: string) => {
      const consumer = newConsumer(groupId);
      seenBy.set(name, new Set());
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assignments.set(name, e.payload.memberAssignment[topic] ?? []);
        fetchesSinceJoin.set(name, 0);
      });
      consumer.on(consumer.events.FETCH, () =>
        fetchesSinceJoin.set(name, (fetchesSinceJoin.get(name) ?? 0) + 1),
      );
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          seenBy.get(name)!.add(batch.partition);
          received += batch.messages.length;
        },
      });
    };

    await join('first');
    await waitFor('the first member to own all 6 partitions', () => assignments.get('first')?.length === 6);

    await join('second');
    await waitFor(
      'the group to split the partitions between both members',
      () =>
        (assignments.get('first')?.length ?? 0) + (assignments.get('second')?.length ?? 0) === 6 &&
        (assignments.get('second')?.length ?? 0) > 0 &&
        (assignments.get('first')?.length ?? 0) < 6,
    );
    const first = assignments.get('first')!;
    const second = assignments.get('second')!;
    expect([...first, ...second].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(first.length).toBe(3);
    expect(second.length).toBe(3);

    // After the rebalance each member reads only the partitions it owns. A fetch already in flight during the
    // rebalance can still deliver records of revoked partitions (kafkajs#1197), so let both fetch loops turn over.
    await waitFor('both members to fetch with their new assignment', () =>
      ['first', 'second'].every((n) => (fetchesSinceJoin.get(n) ?? 0) >= 2),
    );
    for (const seen of seenBy.values()) seen.clear();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `m${i}` })),
    });
    await waitFor('60 messages across both members', () => received >= 60);
    await sleep(300); // room for a duplicate to show up
    expect(received).toBe(60);
    expect([...seenBy.get('first')!].sort()).toEqual([...first].sort());
    expect([...seenBy.get('second')!].sort()).toEqual([...second].sort());
  });

  test('a new consumer in the same group resumes after the last commit, without replaying committed messages', async () => {
    const topic = await createTopic(1);
    const groupId = uniqueName('group');
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });

    // The first member processes and commits m0..m4, then goes away with m5..m9 unprocessed.
    const firstSaw: string[] = [];
    let firstDone = false;
    const first = newConsumer(groupId);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (firstDone) return;
          firstSaw.push(message.value!.toString());
          if (message.offset === '4') {
            await first.commitOffsets([{ topic, partition: batch.partition, offset: '5' }]);
            firstDone = true;
          }
        }
      },
    });
    await waitFor('the first member to commit offset 5', () => firstDone);
    await first.disconnect();
    expect(firstSaw).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })]);

    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${10 + i}` })),
    });

    // fromBeginning only applies without a committed offset: the commit must win.
    const secondSaw: { value: string; offset: string }[] = [];
    const second = newConsumer(groupId);
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) secondSaw.push({ value: m.value!.toString(), offset: m.offset });
      },
    });
    await waitFor('m5..m14 in the second member', () => secondSaw.length >= 10);
    await sleep(300); // room for any replay to show up
    expect(secondSaw.map((m) => m.value)).toEqual(Array.from({ length: 10 }, (_, i) => `m${5 + i}`));
    expect(secondSaw[0]!.offset).toBe('5');
  });
});

describe('local broker lifecycle', () => {
  test('falls back to a free port when 9092 is taken, and stop() ends the JVM and removes its temp data', async () => {
    const blocker: Server | undefined = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined)); // someone else holds 9092: the fallback is tested anyway
      server.listen({ port: 9092, host: '127.0.0.1' }, () => resolve(server));
    });
    try {
      const broker = await startLocalBroker({ home: kafkaHomeFromEnv(process.env) });
      try {
        expect(broker.port).not.toBe(9092);
        expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
        const probe = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
        await probe.connect();
        expect((await probe.describeCluster()).brokers).toHaveLength(1);
        await probe.disconnect();
        expect(readFileSync(`/proc/${broker.pid}/cmdline`, 'utf8')).toContain('kafka.Kafka');
        expect(existsSync(join(broker.dataDir, 'broker.log'))).toBe(true);
      } finally {
        await broker.stop();
      }
      expect(processIsGone(broker.pid)).toBe(true);
      expect(existsSync(broker.dataDir)).toBe(false);
      expect(await portAnswers(broker.port)).toBe(false);
    } finally {
      await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    }
  }, 120_000);

  test('the broker JVM dies when the Node process that started it is killed with SIGKILL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'login-alerts-orphan-test-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirnameOf(), '../support/broker-child.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const childExit = new Promise((resolve) => child.once('exit', resolve));
    let jvmPid = 0;
    try {
      await waitFor(
        'the child to report its broker',
        () => out.includes('\n') || child.exitCode !== null,
        90_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\nchild stderr:\n${err}`);
      });
      const started = JSON.parse(out.split('\n')[0]!) as { pid: number; bootstrap: string };
      jvmPid = started.pid;
      expect(readFileSync(`/proc/${jvmPid}/cmdline`, 'utf8')).toContain('kafka.Kafka');
      expect(await portAnswers(Number(started.bootstrap.split(':')[1]))).toBe(true);

      child.kill('SIGKILL');
      await childExit;
      const killedAt = Date.now();
      await waitFor('the orphaned JVM to exit', () => processIsGone(jvmPid), 15_000);
      // A clean SIGTERM shutdown takes a moment; it must not linger.
      expect(Date.now() - killedAt).toBeLessThan(15_000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (jvmPid && !processIsGone(jvmPid)) process.kill(jvmPid, 'SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('login-alerts kafka', () => {
  test('prints the broker address, and on SIGTERM stops the JVM and exits 0', async () => {
    const cli = spawn(
      process.execPath,
      [join(__dirnameOf(), '../../bin/login-alerts.js'), 'kafka', '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    cli.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    cli.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        '"Kafka ready at"',
        () => /Kafka ready at 127\.0\.0\.1:\d+\n/.test(out) || cli.exitCode !== null,
        90_000,
      );
      const bootstrap = /Kafka ready at (127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(bootstrap).toBeDefined();
      expect(err).toContain('Starting Apache Kafka');
      const probe = new Kafka({ brokers: [bootstrap!], logLevel: logLevel.NOTHING }).admin();
      await probe.connect();
      const cluster = await probe.describeCluster();
      await probe.disconnect();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([bootstrap]);

      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toContain('Kafka stopped.');
      expect(await portAnswers(Number(bootstrap!.split(':')[1]))).toBe(false);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
  }, 120_000);
});

/** Gone means no such process, or a zombie waiting for its new parent to reap it. */
function processIsGone(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^State:\s+Z/m.test(status);
  } catch {
    return true;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function __dirnameOf(): string {
  return new URL('.', import.meta.url).pathname;
}
