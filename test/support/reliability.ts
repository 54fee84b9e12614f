/**
 * Helpers for the reliability suite (test/integration/reliability-*.test.ts): pipeline processes spawned
 * as `login-alerts run`, a private redis-server, load generation, and outcome counting two ways: the
 * lines in every replica's outbox (what was sent) and the receipts on login-alerts.deliveries (what the
 * pipeline recorded). Every child is started in its own process group and killed with its group.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import { TOPIC_ENV, type TopicName } from '../../src/config/schema.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { alertId } from '../../src/pipeline/alerts.js';
import { keys } from '../../src/state/keys.js';
import { createRedisStore } from '../../src/state/redis.js';
import { createRedisClusterStore } from '../../src/state/redis-cluster.js';
import { freePort, killAllChildren, type Proc, spawnProc } from './processes.js';

export { killAllChildren };

import { uniqueName } from './env.js';
import { profile, signIn } from './events.js';
import { testEnv } from './pipeline-harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/login-alerts.js');

/** How much bigger than the CI size to run: RELIABILITY_SCALE=1 (or any value) means the large size. */
export function scaled(ci: number, large: number): number {
  const flag = process.env.RELIABILITY_SCALE?.trim();
  return flag && flag !== '0' ? large : ci;
}

const T0 = Date.now();
/** Progress lines on stderr when RELIABILITY_DEBUG is set, to see where a scenario spends its time. */
export function trace(line: string): void {
  if (process.env.RELIABILITY_DEBUG)
    process.stderr.write(`[reliability +${((Date.now() - T0) / 1000).toFixed(1)}s] ${line}\n`);
}

/** Polls `check` until it returns true; throws with `what` (and `detail()` when given) on timeout. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail?: () => string | Promise<string>,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${await detail()}` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Child processes

export interface PipelineProc extends Proc {
  readonly httpUrl: string;
  /** The admin listener: /readyz with per-dependency details, /metrics. */
  readonly adminUrl: string;
  /** GET /readyz: true on 200. */
  ready(): Promise<boolean>;
}

/**
 * Spawns `node bin/login-alerts.js run [runArgs]` with `env` and waits until its HTTP server answers. Each process
 * writes its own outbox, `<OUTBOX_DIR>/<name>` (as each deployed replica has its own directory), so
 * a delivery sent again by another replica is a second line, never hidden.
 */
export async function spawnPipeline(
  name: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  runArgs: string[] = [],
): Promise<PipelineProc> {
  const port = await freePort();
  const adminPort = await freePort();
  const proc = spawnProc(name, process.execPath, [BIN, 'run', ...runArgs], {
    ...process.env,
    // `run` requires where its links point; the test's own pipeline is as good a place as any.
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ...env,
    ...(env.OUTBOX_DIR ? { OUTBOX_DIR: join(env.OUTBOX_DIR, name) } : {}),
    // Warnings and errors (retries, kafkajs restarts) are what a failing scenario needs to show.
    LOG_LEVEL: 'warn',
    HTTP_PORT: String(port),
    ADMIN_PORT: String(adminPort),
    NO_COLOR: '1',
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const ready = async () => {
    try {
      const res = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
      return res.status === 200;
    } catch {
      return false;
    }
  };
  try {
    await waitUntil(
      `${name} to answer /healthz`,
      async () => {
        if (!proc.alive()) throw new Error(`${name} exited during start-up:\n${proc.output()}`);
        try {
          await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
          return true;
        } catch {
          return false;
        }
      },
      timeoutMs,
      () => proc.output(),
      100,
    );
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return { ...proc, httpUrl, adminUrl, ready };
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Starts (or restarts) redis-server on the same port and data directory. */
  start(): Promise<void>;
  /** SIGKILL: an abrupt outage. The append-only file (fsync always) keeps every acknowledged write. */
  kill(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

/** A private redis-server on a free port; state survives kill() + start() through its AOF. */
export async function privateRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'login-alerts-redis-'));
  let proc: Proc | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const server: RedisServer = {
    url,
    port,
    dir,
    async start() {
      proc = spawnProc(
        'redis-server',
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
        ],
        process.env,
      );
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {});
      try {
        await waitUntil(
          'redis-server to answer PING',
          async () => {
            if (!proc?.alive()) throw new Error(`redis-server exited:\n${proc?.output()}`);
            try {
              if (client.status !== 'ready') await client.connect();
              return (await client.ping()) === 'PONG';
            } catch {
              client.disconnect();
              return false;
            }
          },
          10_000,
        );
      } finally {
        client.disconnect();
      }
    },
    async kill() {
      await proc?.kill();
    },
    async destroy() {
      await proc?.stop(3_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

// ---------------------------------------------------------------------------------------------------
// Kafka: load, offsets

/**
 * The scenarios' own client. Its retries outlast a broker restart on a loaded machine (a JVM start can
 * take a minute there; 60 retries capped at 2 s wait about two minutes): the scenario judges the
 * pipeline, so its load generator must not give up first.
 */
export function kafkaFor(env: Record<string, string>): Kafka {
  return new Kafka({
    clientId: uniqueName('reliability'),
    brokers: env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 60, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
}

/**
 * Creates the pipeline's topics and waits until each partition has a leader. Replicas started at once
 * on brand-new topics can otherwise fail start-up with "This server does not host this topic-partition".
 */
export async function createTopics(admin: Admin, env: Record<string, string>): Promise<void> {
  const names = Object.fromEntries(Object.entries(TOPIC_ENV).map(([id, v]) => [id, env[v]!])) as Record<
    TopicName,
    string
  >;
  await waitUntil(
    'the topics and a leader for every partition',
    async () => {
      try {
        await ensureTopics(admin, names);
        const meta = await admin.fetchTopicMetadata({ topics: Object.values(names) });
        return meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      } catch {
        return false;
      }
    },
    30_000,
  );
}

export interface Session {
  account: string;
  sessionId: string;
  alertId: string;
}

/** `accounts` enrolled accounts with an email contact, and `perAccount` distinct sessions each. */
export function plan(accountCount: number, perAccount: number): { accounts: string[]; sessions: Session[] } {
  const prefix = uniqueName('rel');
  const accounts = Array.from({ length: accountCount }, (_, i) => `${prefix}-a${i}`);
  const sessions: Session[] = [];
  // Interleaved, so every partition sees traffic throughout the stream.
  for (let s = 0; s < perAccount; s++) {
    for (const account of accounts) {
      const sessionId = `${account}-s${s}`;
      sessions.push({ account, sessionId, alertId: alertId('new_login', account, sessionId) });
    }
  }
  return { accounts, sessions };
}

/** Produces raw values in batches of 500 (kafkajs's grouping is quadratic in a send). */
export async function produce(
  producer: Producer,
  topic: string,
  messages: { key: string; value: string | null }[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  }
}

/** The ids of the enrolment notices `enroll` caused: their receipts are not sign-in alerts. */
const enrolmentNotices = new Set<string>();

/** Publishes every account's enrolled profile and waits until the pipeline has written them to Redis. */
export async function enroll(
  producer: Producer,
  env: Record<string, string>,
  accounts: string[],
  redisUrl: string,
  replicas: { adminUrl: string }[] = [],
): Promise<void> {
  const profiles = accounts.map((a) => profile(a));
  for (const p of profiles) {
    enrolmentNotices.add(alertId('account_change', p.account_id, `enrolled@${p.updated_at}`));
  }
  await produce(
    producer,
    env.TOPIC_ACCOUNT_SECURITY!,
    profiles.map((p) => ({ key: p.account_id, value: JSON.stringify(p) })),
  );
  // Read as the product reads its state: a Redis Cluster when the replicas use one.
  const seeds = env.REDIS_CLUSTER_NODES?.split(',').map((s) => {
    const at = s.lastIndexOf(':');
    return { host: s.slice(0, at), port: Number(s.slice(at + 1)) };
  });
  const store = seeds ? createRedisClusterStore(seeds) : createRedisStore(redisUrl);
  try {
    let missing = accounts.length;
    await waitUntil(
      'every profile to be applied',
      async () => {
        missing = 0;
        for (let i = 0; i < accounts.length; i += 1000) {
          const values = await store.read(accounts.slice(i, i + 1000).map((a) => keys.profile(a)));
          missing += values.filter((v) => v === undefined).length;
        }
        return missing === 0;
      },
      60_000,
      () => `${missing} of ${accounts.length} missing`,
      200,
    );
  } finally {
    await store.close();
  }
  // And every replica's enrolled directory holds them (another replica's profile view stored them).
  for (const replica of replicas) {
    await waitUntil(
      `${replica.adminUrl}'s directory to hold the enrolled accounts`,
      async () => (await enrolledIn(replica.adminUrl)) >= accounts.length,
      60_000,
      undefined,
      200,
    );
  }
}

/** login_alerts_enrolled_accounts on a replica's admin /metrics (0 when it does not answer). */
async function enrolledIn(adminUrl: string): Promise<number> {
  try {
    const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(1_000) });
    const line = (await res.text()).split('\n').find((l) => l.startsWith('login_alerts_enrolled_accounts '));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

/** The sign-in record of one planned session. */
export function signInRecord(s: Session): { key: string; value: string } {
  return { key: s.account, value: JSON.stringify(signIn(s.account, { session_id: s.sessionId })) };
}

/** Produces the sessions' sign-ins at about `perSecond`, calling `tick` after each batch. */
export async function produceAtRate(
  producer: Producer,
  topic: string,
  records: { key: string; value: string }[],
  perSecond: number,
  tick?: (sent: number) => Promise<void> | void,
): Promise<void> {
  const batch = Math.max(1, Math.min(500, Math.round(perSecond / 10)));
  const started = Date.now();
  for (let i = 0; i < records.length; i += batch) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + batch) });
    const sent = Math.min(records.length, i + batch);
    await tick?.(sent);
    const due = started + (sent / perSecond) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
}

/**
 * Produces the sessions' sign-ins at a quarter of their number per second and runs `action` once, as
 * soon as a fifth of them have their email; the second half is produced while `action` runs, so it
 * happens mid-stream. Returns how many sessions were alerted when `action` started.
 */
export async function midStream(
  env: Record<string, string>,
  producer: Producer,
  sessions: Session[],
  action: () => Promise<void>,
): Promise<number> {
  const rate = sessions.length / 4;
  let fired: Promise<void> | undefined;
  let alertedAtStart = -1;
  const maybe = () => {
    if (fired) return;
    const alerted = alertedCount(env);
    if (alerted < sessions.length / 5) return;
    alertedAtStart = alerted;
    fired = action();
  };
  const half = Math.floor(sessions.length / 2);
  await produceAtRate(
    producer,
    env.TOPIC_AUTH_EVENTS!,
    sessions.slice(0, half).map(signInRecord),
    rate,
    maybe,
  );
  await waitUntil(
    'a fifth of the sessions alerted',
    () => {
      maybe();
      return fired !== undefined;
    },
    90_000,
    () => `${alertedCount(env)} alerted`,
    20,
  );
  await Promise.all([
    fired,
    produceAtRate(producer, env.TOPIC_AUTH_EVENTS!, sessions.slice(half).map(signInRecord), rate),
  ]);
  return alertedAtStart;
}

/** Committed offsets of `groupId` on `topic` and the topic's end, per partition. */
export async function lagOf(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ lag: number; committed: number; end: number }> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  let lag = 0;
  let total = 0;
  let endTotal = 0;
  for (const p of ends) {
    const high = Number(p.high);
    const low = Number(p.low);
    const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
    const at = c < 0 ? low : c;
    lag += Math.max(0, high - at);
    total += at;
    endTotal += high;
  }
  return { lag, committed: total, end: endTotal };
}

/** Every consumer group of a pipeline, with the topic it reads. */
export function groupsOf(env: Record<string, string>): { groupId: string; topic: string }[] {
  const g = env.KAFKA_GROUP_ID!;
  return [
    { groupId: `${g}.profiles`, topic: env.TOPIC_ACCOUNT_SECURITY! },
    { groupId: g, topic: env.TOPIC_AUTH_EVENTS! },
    { groupId: `${g}.deliver.email`, topic: env.TOPIC_NOTIFICATIONS! },
    { groupId: `${g}.deliver.sms`, topic: env.TOPIC_NOTIFICATIONS! },
    { groupId: `${g}.deliver.push`, topic: env.TOPIC_NOTIFICATIONS! },
    { groupId: `${g}.retry`, topic: env.TOPIC_RETRY! },
  ];
}

/** Lag of every group (0 everywhere = nothing left to do, including deliveries waiting in the retry topic). */
export async function pipelineLag(
  admin: Admin,
  env: Record<string, string>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { groupId, topic } of groupsOf(env)) out[groupId] = (await lagOf(admin, groupId, topic)).lag;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Outcomes

/** The key outcomes are counted by: one alert on one channel. */
export const outcomeKey = (alertId: string, channel: string) => `${alertId} ${channel}`;

export interface OutboxCounts {
  /** new_login lines per (alert id, channel), over every replica's outbox */
  counts: Map<string, number>;
  /** the same per replica directory (its name under OUTBOX_DIR; '' for OUTBOX_DIR itself) */
  byReplica: Map<string, Map<string, number>>;
  /** lines ended by their newline that do not parse: a line broken by a write, never expected */
  corrupt: number;
}

/**
 * new_login lines per (alert id, channel) in every `<channel>.jsonl` under `root` (one directory per
 * replica, and root itself). A line counts once its newline is written: the bytes after a file's last
 * newline are a write cut short by a SIGKILL, not a delivery.
 */
export function outboxCounts(root: string): OutboxCounts {
  const counts = new Map<string, number>();
  const byReplica = new Map<string, Map<string, number>>();
  let corrupt = 0;
  if (!existsSync(root)) return { counts, byReplica, corrupt };
  const replicas = [
    '',
    ...readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name),
  ];
  for (const replica of replicas) {
    const mine = new Map<string, number>();
    byReplica.set(replica, mine);
    for (const channel of ['email', 'sms', 'push']) {
      const file = join(root, replica, `${channel}.jsonl`);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
        let parsed: { alert_id?: string; kind?: string; channel?: string };
        try {
          parsed = JSON.parse(line);
        } catch {
          corrupt++;
          continue;
        }
        if (parsed.kind !== 'new_login' || !parsed.alert_id) continue;
        const key = outcomeKey(parsed.alert_id, parsed.channel ?? channel);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        mine.set(key, (mine.get(key) ?? 0) + 1);
      }
    }
  }
  return { counts, byReplica, corrupt };
}

/**
 * What one SIGKILL of `victim` can explain, and nothing more. Channels without an idempotency key
 * (SES, Twilio, the outbox) send again what the victim was sending or had sent without yet marking
 * it `accepted`, so such a delivery may have two lines: one in the victim's outbox and one in a
 * survivor's. A send the victim marked `accepted` is not sent again, but its `sent` receipt is
 * published again when the kill came between its batch's receipts and its `sent` mark. Returns every
 * (alert, channel) that breaks this: more than two sends, a repeat that does not cross the kill, more
 * `sent` receipts than sends for what the victim did not send, or more than two receipts.
 */
export function repeatsNotExplainedBy(
  env: Record<string, string>,
  victim: string,
  receipts: ReceiptWatch,
): string[] {
  const { counts, byReplica } = outboxCounts(env.OUTBOX_DIR!);
  const killed = byReplica.get(victim) ?? new Map<string, number>();
  const wrong: string[] = [];
  for (const [key, sends] of counts) {
    const receipted = receipts.counts().get(key) ?? 0;
    const crossesKill = sends === 1 || (sends === 2 && killed.get(key) === 1);
    const receiptsAllowed = killed.get(key) === 1 ? 2 : sends;
    if (!crossesKill || receipted > receiptsAllowed)
      wrong.push(`${key}: ${sends} sends (${killed.get(key) ?? 0} by ${victim}), ${receipted} receipts`);
  }
  for (const [key, receipted] of receipts.counts()) {
    if (!counts.has(key)) wrong.push(`${key}: ${receipted} receipts, no send`);
  }
  return wrong;
}

/** How many sessions have their email in some replica's outbox. */
export function alertedCount(env: Record<string, string>): number {
  return outboxCounts(env.OUTBOX_DIR!).counts.size;
}

export interface ReceiptWatch {
  /** `sent` receipts of sign-in alerts per (alert id, channel); enrolment notices are left out */
  counts(): Map<string, number>;
  stop(): Promise<void>;
}

/** Reads login-alerts.deliveries from the beginning and counts the `sent` receipts, each offset once. */
export async function watchReceipts(kafka: Kafka, env: Record<string, string>): Promise<ReceiptWatch> {
  const consumer: Consumer = kafka.consumer({
    groupId: uniqueName('receipts'),
    maxWaitTimeInMs: 100,
    // Rides through a broker outage: kafkajs restarts the consumer instead of leaving it stopped.
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000, restartOnFailure: async () => true },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: env.TOPIC_DELIVERIES!, fromBeginning: true });
  const seen = new Set<string>();
  const sent = new Map<string, number>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const at = `${partition}/${message.offset}`;
      if (seen.has(at) || !message.value) return;
      seen.add(at);
      const r = JSON.parse(message.value.toString()) as { alert_id: string; channel: string; status: string };
      if (r.status !== 'sent' || enrolmentNotices.has(r.alert_id)) return;
      const key = outcomeKey(r.alert_id, r.channel);
      sent.set(key, (sent.get(key) ?? 0) + 1);
    },
  });
  return {
    counts: () => sent,
    stop: () => consumer.disconnect(),
  };
}

/** Compares counts per (alert id, channel) with the planned sessions' emails: missing, repeated, unexpected. */
export function judge(sessions: Session[], counts: Map<string, number>) {
  const expected = new Set(sessions.map((s) => outcomeKey(s.alertId, 'email')));
  const missing = sessions.filter((s) => !counts.has(outcomeKey(s.alertId, 'email')));
  const duplicated = [...counts].filter(([, n]) => n > 1);
  const unexpected = [...counts.keys()].filter((key) => !expected.has(key));
  return {
    missing: missing.length,
    duplicated: duplicated.length,
    unexpected: unexpected.length,
    distinct: counts.size,
    examples: {
      missing: missing.slice(0, 3),
      duplicated: duplicated.slice(0, 3),
      unexpected: unexpected.slice(0, 3),
    },
  };
}

/** The two verdicts: the union of the replicas' outboxes (with its corrupt lines) and the receipts. */
export interface Verdict {
  outbox: ReturnType<typeof judge> & { corrupt: number };
  receipts: ReturnType<typeof judge>;
}

function verdictOf(env: Record<string, string>, sessions: Session[], receipts: ReceiptWatch): Verdict {
  const { counts, corrupt } = outboxCounts(env.OUTBOX_DIR!);
  return { outbox: { ...judge(sessions, counts), corrupt }, receipts: judge(sessions, receipts.counts()) };
}

/**
 * Waits until every planned session has its email in an outbox and its `sent` receipt, and every
 * group has caught up (so any delivery parked in the retry topic behind a crashed sender's lease has
 * run too), then returns both verdicts.
 */
export async function settle(
  admin: Admin,
  env: Record<string, string>,
  sessions: Session[],
  receipts: ReceiptWatch,
  timeoutMs: number,
): Promise<Verdict> {
  let verdict = verdictOf(env, sessions, receipts);
  let lag: Record<string, number> = {};
  await waitUntil(
    'every session to be alerted and receipted and every group to catch up',
    async () => {
      verdict = verdictOf(env, sessions, receipts);
      if (verdict.outbox.missing > 0 || verdict.receipts.missing > 0) return false;
      lag = await pipelineLag(admin, env);
      trace(
        `settle: ${JSON.stringify({ outbox: verdict.outbox.duplicated, receipts: verdict.receipts.duplicated, lag })}`,
      );
      return Object.values(lag).every((l) => l === 0);
    },
    timeoutMs,
    () => JSON.stringify({ verdict, lag }),
    500,
  );
  // One more look after a pause: a duplicate would be written after the lag reached 0 only by a
  // delivery already in flight.
  await sleep(1_000);
  return verdictOf(env, sessions, receipts);
}

/** Removes a test's outbox directory. */
export function cleanOutbox(env: Record<string, string> | undefined): void {
  if (env?.OUTBOX_DIR) rmSync(env.OUTBOX_DIR, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

/**
 * What a reliability scenario sets up and must tear down: its private topics and Kafka clients, and
 * the pipeline processes it spawns. `cleanup()` in afterAll stops all of it, also after a failure.
 */
export function scenarioKit() {
  const envs: Record<string, string>[] = [];
  const clients: { admin: Admin; producer: Producer; receipts?: ReceiptWatch }[] = [];
  const procs: PipelineProc[] = [];
  return {
    /** A private environment (topics created) with a connected admin and producer, its receipts watched. */
    async setUp(extra: Record<string, string> = {}) {
      const env = testEnv('redis', extra);
      envs.push(env);
      const kafka = kafkaFor(env);
      const c: { admin: Admin; producer: Producer; receipts?: ReceiptWatch } = {
        admin: kafka.admin(),
        producer: kafka.producer(),
      };
      clients.push(c);
      await Promise.all([c.admin.connect(), c.producer.connect()]);
      await createTopics(c.admin, env);
      c.receipts = await watchReceipts(kafka, env);
      return { env, admin: c.admin, producer: c.producer, receipts: c.receipts };
    },
    /** `login-alerts run` on `env`, stopped by cleanup(). */
    async start(name: string, env: Record<string, string>): Promise<PipelineProc> {
      const p = await spawnPipeline(name, env);
      procs.push(p);
      return p;
    },
    async cleanup() {
      await Promise.allSettled(procs.map((p) => p.stop()));
      await killAllChildren();
      await Promise.allSettled(
        clients.flatMap((c) => [c.admin.disconnect(), c.producer.disconnect(), c.receipts?.stop()]),
      );
      for (const env of envs) cleanOutbox(env);
    },
  };
}
