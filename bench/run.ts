/**
 * `npm run bench`: throughput, CPU, memory and latency of the login-events path against a bare kafkajs
 * consumer on the same topic (and one that only decodes and validates: the ceiling for any validating
 * consumer), on a real broker, for two mixes: typical (one account in a hundred enrolled) and heavy
 * (one in ten; also the latency runs' mix), plus micro figures. Prints tables, then one JSON line.
 *
 * BENCH_EVENTS (default 200,000) events; KAFKA_BROKERS to use a running broker (otherwise one is
 * started); REDIS_URL (default redis://127.0.0.1:6379) for the Redis runs; BENCH_LATENCY_S (default 30)
 * seconds per latency rate, of which BENCH_WARMUP_MS (default 3,000) are reported apart as the
 * start-up; BENCH_CPU_PROF=<dir> writes a CPU profile of each child's measured window there
 * (bench/profile-window.ts; `npm run bench:where -- <dir>/*.cpuprofile` sorts it by owner), and
 * BENCH_HEAP_PROF=<dir> a sampling heap profile of it instead (`npm run bench:allocations`). Every
 * measured consumer runs in its own child process (bench/child.ts), so its CPU time and peak RSS are
 * its own and not the producer's or the harness's. BENCH_MIXES=nobody measures a mix where no account
 * is enrolled: what an event that notifies nobody costs; BENCH_MIXES=storm one where every account is
 * enrolled and every event is a new session (an alert storm; BENCH_STORM_EVENTS, default 20,000, of
 * them at most). CPU per alert: the process CPU per alert delivered, less what the alert's events
 * would cost if they notified nobody (the nobody mix's CPU per event, times events per alert). The
 * default run measures nobody and storm on the Redis path alone for it, and profiles the storm run
 * (every run with BENCH_CPU_PROF) to print the CPU per alert by stage (bench/profile-views.ts).
 */

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build as buildHistogram } from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { dropKnownWarnings } from '../src/cli/process-handlers.js';
import type { TopicName } from '../src/config/schema.js';
import { createDeviceParser } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../src/kafka/local-broker.js';
import { createTopicsAndWait, TOPIC_SPECS } from '../src/kafka/topics.js';
import { keys } from '../src/state/keys.js';
import { createMemoryStore } from '../src/state/memory.js';
import { createRedisStore } from '../src/state/redis.js';
import { buildWorkload, publicIpv4, rng, UA_CORPUS } from './load.js';
import { readProfile, stageRows } from './profile-views.js';
import type { ThreadShares } from './thread-cpu.js';

dropKnownWarnings();

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 30);
/**
 * The first BENCH_WARMUP_MS (default 3,000) of each latency run are the start-up: a new process on new
 * topics (the broker's first appends to them took 40–230 ms each in its request log). They are
 * reported apart, for the bare consumer and the full path alike, not mixed into the steady state.
 */
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3_000);
const REDIS_URL = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
/**
 * BENCH_CHILD=<path to another checkout's bench/child.ts>: measure that code in the same harness. The
 * child measures its checkout's build (dist/), as it ships; it is built first when stale. A child.ts
 * that imports src/ instead runs the sources through tsx: compare children that measure the same kind.
 */
const CHILD = process.env.BENCH_CHILD?.trim() || new URL('./child.ts', import.meta.url).pathname;
const CHILD_BUILD = join(dirname(CHILD), '..', 'scripts', 'build.mjs');
if (existsSync(CHILD_BUILD))
  execFileSync(process.execPath, [CHILD_BUILD, '--if-stale'], { stdio: 'inherit' });
/**
 * Every measured child runs with the product's runtime flags (Dockerfile, `npm start`,
 * bin/login-alerts.js); BENCH_NODE_FLAGS replaces them (empty: none).
 */
const RUNTIME_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);
/** BENCH_ONLY=throughput,latency,micro,memory: run those sections and print their figures as JSON (no report). */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wants = (section: 'throughput' | 'latency' | 'micro' | 'memory') => !ONLY || ONLY.includes(section);
const round = (n: number, d = 1) => Number(n.toFixed(d));
const stamp = `bench-${Date.now().toString(36)}`;
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const cleanup: (() => Promise<void> | void)[] = [];

let broker: LocalBroker | undefined;
let brokers = process.env.KAFKA_BROKERS?.trim();
if (!brokers) {
  progress('starting a local Kafka broker…');
  broker = await startLocalBroker({ port: 0, home: kafkaHomeFromEnv(process.env) });
  brokers = broker.bootstrap;
  cleanup.push(() => broker?.stop());
}
const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer();
await producer.connect();

/** Topic names for one run: the loaded input topics shared, every output private to the run. */
function topicEnv(run: string, input: { events: string; profiles: string }): Record<string, string> {
  const names: Record<TopicName, string> = {
    authEvents: input.events,
    accountSecurity: input.profiles,
    loginAlerts: `${run}.alerts`,
    loginAlertsOcsf: `${run}.ocsf`,
    trainingExclusions: `${run}.exclusions`,
    deliveries: `${run}.deliveries`,
    notifications: `${run}.notifications`,
    retry: `${run}.retry`,
    dlq: `${run}.dlq`,
    responses: `${run}.responses`,
  };
  const env: Record<string, string> = {
    TOPIC_AUTH_EVENTS: names.authEvents,
    TOPIC_ACCOUNT_SECURITY: names.accountSecurity,
    TOPIC_LOGIN_ALERTS: names.loginAlerts,
    TOPIC_LOGIN_ALERTS_OCSF: names.loginAlertsOcsf,
    TOPIC_TRAINING_EXCLUSIONS: names.trainingExclusions,
    TOPIC_DELIVERIES: names.deliveries,
    TOPIC_NOTIFICATIONS: names.notifications,
    TOPIC_RETRY: names.retry,
    TOPIC_DLQ: names.dlq,
    TOPIC_RESPONSES: names.responses,
  };
  return env;
}

async function createTopic(topic: string, partitions: number, compacted = false): Promise<void> {
  // kafkajs's own waitForLeaders can fail on a topic that was just created (see src/kafka/topics.ts).
  await createTopicsAndWait(admin, [
    {
      topic,
      numPartitions: partitions,
      configEntries: compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    },
  ]);
}

async function sendAll(topic: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  }
}

interface ChildResult {
  [k: string]: unknown;
  events_per_s: number;
  cpu_us_per_event: number;
  peak_rss_mb: number;
}

/** Runs bench/child.ts <mode>; resolves with its RESULT line. `onReady` fires on its READY line. */
function runChild(
  mode: string,
  env: Record<string, string>,
  onReady?: () => void,
  nodeArgs: string[] = [],
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RUNTIME_FLAGS, ...nodeArgs, '--import', 'tsx', CHILD, mode], {
      env: { ...process.env, KAFKA_BROKERS: brokers, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      const text = c.toString();
      if (onReady && text.includes('READY')) onReady();
      out += text;
    });
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      process.removeListener('exit', kill);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as ChildResult);
      else reject(new Error(`bench child ${mode} exited ${code}:\n${err}`));
    });
  });
}

/** A full-path child's settings for run `run` on the loaded topics: its own outputs, group and outbox. */
function fullPathEnv(
  run: string,
  input: { events: string; profiles: string },
  redisUrl: string,
  events = EVENTS,
): Record<string, string> {
  const outbox = mkdtempSync(join(tmpdir(), 'login-alerts-bench-outbox-'));
  cleanup.push(() => rmSync(outbox, { recursive: true, force: true }));
  return {
    ...topicEnv(run, input),
    KAFKA_GROUP_ID: `${run}-group`,
    OUTBOX_DIR: outbox,
    ALERT_LINK_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    BENCH_EXPECT: String(events),
    REDIS_URL: redisUrl,
  };
}

/**
 * The full path scaled out: two processes in one group, as replicas run, on the same topic. They
 * keep their state in another Redis database (the single-process run's markers would make every
 * event a duplicate here). Rated from the first event either took to the whole topic committed.
 */
async function pairRun(input: { events: string; profiles: string }, run: string): Promise<ChildResult> {
  progress('b×2) two login-events processes in one group, redis store…');
  const url = new URL(REDIS_URL);
  url.pathname = '/1';
  cleanup.push(() => deleteRedisKeys(run, url.toString()));
  const env: Record<string, string> = {
    ...fullPathEnv(`${run}-redis-x2`, input, url.toString()),
    BENCH_SHARED: '1',
  };
  // One outbox directory per process, as each deployed replica has its own.
  const members = await Promise.all(
    [0, 1].map((i) => runChild('full', { ...env, OUTBOX_DIR: join(env.OUTBOX_DIR!, `m${i}`) })),
  );
  const working = members.filter((m) => (m.events as number) > 0);
  const first = Math.min(...working.map((m) => m.first_at_ms as number));
  const done = Math.max(...members.map((m) => m.done_at_ms as number));
  const seconds = (done - first) / 1000;
  return {
    mode: 'full-redis-x2',
    events: EVENTS,
    per_member: members.map((m) => m.events),
    seconds,
    events_per_s: EVENTS / seconds,
    cpu_us_per_event: members.reduce((n, m) => n + (m.cpu_us as number), 0) / EVENTS,
    peak_rss_mb: Math.max(...members.map((m) => m.peak_rss_mb)),
  };
}

// 1–2. The workloads and throughput ------------------------------------------------------------------
/**
 * The mixes: one account in `enrolledEvery` is enrolled. `nobody` (one account in the whole workload) is
 * not a target's mix: it shows what an event that notifies nobody costs (BENCH_MIXES=nobody). `storm`:
 * every account enrolled, every event a sign-in in a new session, so every event alerts.
 */
const MIXES = { typical: 100, heavy: 10, nobody: 1e9, storm: 1 } as const;
type Mix = keyof typeof MIXES;
/** BENCH_MIXES (default typical,heavy and, on the Redis path alone, nobody,storm) and BENCH_RUNS. */
const mixes = (process.env.BENCH_MIXES ?? 'typical,heavy,nobody,storm')
  .split(',')
  .map((m) => m.trim()) as Mix[];
const runs = new Set((process.env.BENCH_RUNS ?? 'bare,validate,memory,redis,pair').split(','));
/** The mixes the default run measures only for the CPU per alert: the Redis path alone. */
const forCostOnly = (mix: Mix) => !process.env.BENCH_MIXES && (mix === 'nobody' || mix === 'storm');
const runsOf = (mix: Mix) => (forCostOnly(mix) ? new Set(['redis']) : runs);
/** Events in a mix's topic: an alert storm costs about a millisecond per event, so it is shorter. */
const STORM_EVENTS = Math.min(EVENTS, Number(process.env.BENCH_STORM_EVENTS ?? 20_000));
const eventsOf = (mix: Mix) => (mix === 'storm' ? STORM_EVENTS : EVENTS);
/**
 * Where the window profiles go: BENCH_CPU_PROF for every child; without it, a temporary directory
 * for the storm mix's Redis run alone (its stage view is printed; the profiler's sampling and its
 * own thread are in its CPU figure, a tenth of it or more); BENCH_CPU_PROF=off profiles no run.
 */
const PROFILES_OFF = process.env.BENCH_CPU_PROF?.trim() === 'off';
const PROFILES = PROFILES_OFF ? undefined : process.env.BENCH_CPU_PROF?.trim();
const stormProfiles =
  PROFILES || PROFILES_OFF ? undefined : join(tmpdir(), `login-alerts-bench-prof-${stamp}`);
if (stormProfiles) {
  mkdirSync(stormProfiles, { recursive: true });
  cleanup.push(() => rmSync(stormProfiles, { recursive: true, force: true }));
}

interface MixResult {
  mix: Mix;
  enrolledEvery: number;
  events: number;
  bare?: ChildResult;
  validateOnly?: ChildResult;
  fullMemory?: ChildResult;
  fullRedis?: ChildResult;
  fullRedisPair?: ChildResult;
  produceRate: number;
}

async function throughput(mix: Mix): Promise<MixResult> {
  const run = `${stamp}-${mix}`;
  const input = { events: `${run}.auth-events`, profiles: `${run}.account-security` };
  await createTopic(input.events, 12);
  await createTopic(input.profiles, TOPIC_SPECS.accountSecurity.partitions, true);
  const messages: Message[] = [];
  const enrolledEvery = MIXES[mix];
  const events = eventsOf(mix);
  const workload = buildWorkload(
    events,
    run,
    (_i, key, value) => messages.push({ key, value }),
    1,
    enrolledEvery,
    { storm: mix === 'storm' },
  );
  cleanup.push(() => deleteRedisKeys(run));
  await sendAll(input.profiles, workload.profiles);
  const bytes = messages.reduce((s, m) => s + String(m.value).length, 0);
  const loadStarted = performance.now();
  await sendAll(input.events, messages);
  const produceRate = events / ((performance.now() - loadStarted) / 1000);
  progress(
    `[${mix}] loaded ${events} events (${Math.round(bytes / EVENTS)} B avg; ${JSON.stringify(workload.counts)}) at ${Math.round(produceRate)}/s; ` +
      `${workload.accounts.length} accounts, ${workload.enrolled.length} enrolled, ${workload.enrolledSessions.size} enrolled sessions`,
  );
  messages.length = 0;
  const result: MixResult = { mix, enrolledEvery, events, produceRate };
  const runs = runsOf(mix);
  const label = { BENCH_LABEL: mix };
  const bareRun = (mode: 'bare' | 'validate') =>
    runChild(mode, {
      ...label,
      BENCH_TOPIC: input.events,
      BENCH_GROUP: `${run}-${mode}`,
      BENCH_EXPECT: String(events),
    });
  const profiled: Record<string, string> =
    mix === 'storm' && stormProfiles ? { BENCH_CPU_PROF: stormProfiles } : {};
  const fullRun = (store: 'memory' | 'redis') =>
    runChild('full', {
      ...fullPathEnv(`${run}-${store}`, input, store === 'redis' ? REDIS_URL : '', events),
      ...label,
      ...(store === 'redis' ? profiled : {}),
    });
  if (runs.has('bare')) {
    progress(`[${mix}] a) bare kafkajs consumer…`);
    result.bare = await bareRun('bare');
  }
  if (runs.has('validate')) {
    progress(`[${mix}] a') kafkajs consumer that only decodes and validates (JSON + zod)…`);
    result.validateOnly = await bareRun('validate');
  }
  if (runs.has('memory')) {
    progress(`[${mix}] b) login-events path + email outbox, memory store…`);
    result.fullMemory = await fullRun('memory');
  }
  if (runs.has('redis')) {
    progress(`[${mix}] b) login-events path + email outbox, Redis store…`);
    result.fullRedis = await fullRun('redis');
  }
  if (runs.has('pair') && mix === 'heavy') result.fullRedisPair = await pairRun(input, run);
  return result;
}
const measured: Partial<Record<Mix, MixResult>> = {};
if (wants('throughput')) for (const mix of mixes) measured[mix] = await throughput(mix);

// 3. Latency at fixed rates ------------------------------------------------------------------------
interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}
interface Latency {
  rate: number;
  /** Which of the BENCH_LATENCY_RUNS runs at this rate (1, 2, …). */
  run: number;
  bare: Percentiles;
  full: Percentiles;
  /** Produce → the login-events consumer's outputs durable (all events), on the full path. */
  decided?: Percentiles;
  /** The same three over the first WARMUP_MS of the runs. */
  startup: { bare: Percentiles; full: Percentiles; decided?: Percentiles };
}
async function latencyAt(rate: number, nth: number, seconds = LATENCY_S): Promise<Latency> {
  const total = rate * seconds;
  type Measured = Percentiles & { decided?: Percentiles; startup: Percentiles; decidedStartup?: Percentiles };
  const run = async (which: 'bare' | 'full'): Promise<Measured> => {
    const topic = `${stamp}.lat-${rate}-${nth}-${which}`;
    await createTopic(topic, 12);
    const profiles = `${stamp}.lat-${rate}-${nth}-${which}-profiles`;
    await createTopic(profiles, TOPIC_SPECS.accountSecurity.partitions, true);
    const prefix = `${stamp}-l${rate}r${nth}${which}`;
    const events: { key: string; value: string }[] = [];
    const wl = buildWorkload(total, prefix, (_i, key, value) => events.push({ key, value }), rate);
    cleanup.push(() => deleteRedisKeys(prefix));
    await sendAll(profiles, wl.profiles);
    const outbox = mkdtempSync(join(tmpdir(), 'login-alerts-bench-outbox-'));
    cleanup.push(() => rmSync(outbox, { recursive: true, force: true }));
    let readyResolve!: () => void;
    const ready = new Promise<void>((r) => {
      readyResolve = r;
    });
    const env: Record<string, string> =
      which === 'bare'
        ? {
            BENCH_TOPIC: topic,
            BENCH_GROUP: `${prefix}-group`,
            BENCH_EXPECT: String(total),
            BENCH_LATENCY: '1',
            BENCH_WARMUP_MS: String(WARMUP_MS),
          }
        : {
            ...topicEnv(`${prefix}`, { events: topic, profiles }),
            KAFKA_GROUP_ID: `${prefix}-group`,
            OUTBOX_DIR: outbox,
            ALERT_LINK_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
            BENCH_EXPECT: String(total),
            BENCH_LATENCY: '1',
            BENCH_WARMUP_MS: String(WARMUP_MS),
            REDIS_URL,
          };
    const sentAt = new Map<number, number>();
    const child = runChild(which, env, readyResolve);
    await Promise.race([ready, child]);
    const started = Date.now();
    const warmupUntil = started + WARMUP_MS;
    const perTick = Math.max(1, Math.round(rate / 100)); // a send every 10 ms
    for (let i = 0; i < total; i += perTick) {
      const due = started + (i / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const ts = Date.now();
      const slice = events.slice(i, i + perTick).map((e, j) => {
        sentAt.set(i + j, ts);
        return { key: e.key, value: e.value, timestamp: String(ts) };
      });
      await producer.send({ topic, acks: -1, messages: slice });
    }
    const result = await child;
    if (which === 'bare')
      return { ...(result.latency_ms as Percentiles), startup: result.startup_ms as Percentiles };
    // Full path: the outbox line's `at` (written in the channel's send) against the event's produce time.
    const histogram = () =>
      buildHistogram({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 600_000,
        numberOfSignificantValueDigits: 3,
      });
    const h = histogram();
    const startup = histogram();
    const file = join(outbox, 'email.jsonl');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    for (const line of lines) {
      const { alert_id, at } = JSON.parse(line) as { alert_id: string; at: string };
      const index = wl.enrolledSessions.get(alert_id);
      if (index === undefined) continue;
      const ts = sentAt.get(index);
      if (ts === undefined) continue;
      (ts < warmupUntil ? startup : h).recordValue(Math.max(1, Date.parse(at) - ts));
    }
    const percentiles = (x: typeof h): Percentiles => ({
      count: x.totalCount,
      p50: x.getValueAtPercentile(50),
      p95: x.getValueAtPercentile(95),
      p99: x.getValueAtPercentile(99),
    });
    return {
      ...percentiles(h),
      decided: result.decided_ms as Percentiles,
      startup: percentiles(startup),
      decidedStartup: result.decided_startup_ms as Percentiles,
    };
  };
  const what = nth === 0 ? 'warm-up, not reported' : `${seconds} s`;
  progress(`latency at ${rate} events/s (${what}): bare…`);
  const { startup: bareStartup, ...b } = await run('bare');
  progress(`latency at ${rate} events/s (${what}): full path (Redis)…`);
  const { decided, startup, decidedStartup, ...f } = await run('full');
  return {
    rate,
    run: nth,
    bare: b,
    full: f,
    decided,
    startup: { bare: bareStartup, full: startup, decided: decidedStartup },
  };
}
/** BENCH_LATENCY_RATES (default 1000,5000): the fixed produce rates; the first is the target's. */
const RATES = (process.env.BENCH_LATENCY_RATES ?? '1000,5000').split(',').map(Number);
/**
 * BENCH_LATENCY_RUNS (default 1) runs at each rate: the p99 of one 30 s run moves a lot on a shared
 * machine, so the JSON line reports the median over the runs of each rate.
 */
const LATENCY_RUNS = Math.max(1, Math.floor(Number(process.env.BENCH_LATENCY_RUNS ?? 1)) || 1);
const latencies: Latency[] = [];
/**
 * Before the measured runs, one of LATENCY_WARMUP_S (10) at the first rate, discarded: a broker JVM
 * that has just started compiles its produce and fetch paths under the first run (its bare p99 was
 * 26–44 ms against 11–14 in the runs after it, with `BENCH_ONLY=latency`).
 */
const LATENCY_WARMUP_S = Number(process.env.BENCH_LATENCY_WARMUP_S ?? 10);
if (wants('latency')) {
  if (LATENCY_WARMUP_S > 0 && RATES[0] !== undefined) await latencyAt(RATES[0], 0, LATENCY_WARMUP_S);
  for (const rate of RATES)
    for (let run = 1; run <= LATENCY_RUNS; run++) latencies.push(await latencyAt(rate, run));
}
/** The median over the runs at `rate` of what `pick` reads from each, or null without a run. */
function medianAt(rate: number | undefined, pick: (l: Latency) => number): number | null {
  const values = latencies
    .filter((l) => l.rate === rate)
    .map(pick)
    .sort((a, b) => a - b);
  if (values.length === 0) return null;
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : Math.round((values[mid - 1]! + values[mid]!) / 2);
}

// 4. Micro figures ---------------------------------------------------------------------------------
progress('micro figures…');
const micro = wants('micro') ? await microFigures() : undefined;

// 5. Memory store with one million session markers ------------------------------------------------
progress('memory store with 1,000,000 session markers…');
const mem = wants('memory')
  ? await runChild('memstore', { BENCH_SESSIONS: '1000000' }, undefined, ['--expose-gc'])
  : undefined;

// 6. Report ---------------------------------------------------------------------------------------
/**
 * CPU per alert of a mix's Redis run: the process CPU of the window (deciding and delivering) per
 * email, less what the same events would have cost had they notified nobody (the nobody mix's CPU per
 * event times events per alert); `gross` without that subtraction. With the run's window profile,
 * the same per stage.
 */
function alertCost(m: MixResult | undefined) {
  const r = m?.fullRedis;
  const emails = (r?.emails as number | undefined) ?? 0;
  if (!m || !r || emails === 0) return undefined;
  const withDelivery = r.cpu_us_per_event_with_delivery as number;
  const nobody = measured.nobody?.fullRedis?.cpu_us_per_event_with_delivery as number | undefined;
  const eventsPerAlert = m.events / emails;
  const file = r.profile as string | undefined;
  const stages =
    file?.endsWith('.cpuprofile') && existsSync(file)
      ? stageRows(readProfile(file), m.events, emails)
      : undefined;
  return {
    mix: m.mix,
    events: m.events,
    emails,
    events_per_alert: round(eventsPerAlert, 2),
    cpu_us_per_event_with_delivery: round(withDelivery, 2),
    nobody_cpu_us_per_event: nobody === undefined ? null : round(nobody, 2),
    cpu_us_per_alert_gross: round(withDelivery * eventsPerAlert),
    cpu_us_per_alert: nobody === undefined ? null : round((withDelivery - nobody) * eventsPerAlert),
    system_cpu_share: r.system_cpu_share as number | undefined,
    thread_cpu_share: r.thread_cpu_share as ThreadShares | undefined,
    profile: file,
    stages,
  };
}
const alertCosts = (['typical', 'heavy', 'storm'] as const).flatMap((mix) => alertCost(measured[mix]) ?? []);
const costJson = Object.fromEntries(
  alertCosts.map(({ stages, ...c }) => [c.mix, { ...c, stages_us_per_alert: stages?.byStage }]),
);
const percent = (share: number | undefined) => (share === undefined ? '' : `${(share * 100).toFixed(1)}%`);
function printAlertCosts(): void {
  if (alertCosts.length === 0) return;
  console.log(
    `\nCPU per alert (Redis store, email to the outbox): process CPU per email delivered, less the nobody mix's CPU per event × events per alert${measured.nobody?.fullRedis ? '' : ' (no nobody run: gross only)'}`,
  );
  console.table(
    alertCosts.map((c) => ({
      mix: c.mix,
      events: c.events,
      emails: c.emails,
      'events/alert': c.events_per_alert,
      'µs/event incl. delivery': c.cpu_us_per_event_with_delivery,
      'nobody µs/event': c.nobody_cpu_us_per_event ?? '',
      'µs/alert gross': c.cpu_us_per_alert_gross,
      'CPU µs per alert': c.cpu_us_per_alert ?? '',
      // Shares of the window's process CPU. A window profile samples the main thread alone: these
      // say what it leaves out. "other" holds a profiled run's profiler thread. The kernel's share
      // overlaps the threads' (each thread's time includes its system time).
      'main thread': percent(c.thread_cpu_share?.main),
      "V8's helpers": percent(c.thread_cpu_share?.['v8 helpers']),
      'other threads': percent(
        c.thread_cpu_share && c.thread_cpu_share['libuv pool'] + c.thread_cpu_share.other,
      ),
      'in the kernel': percent(c.system_cpu_share),
    })),
  );
  for (const c of alertCosts) {
    if (!c.stages) continue;
    console.log(
      `\nWhere the ${c.mix} mix's CPU goes, by stage: main-thread µs per alert from the window profile (${Math.round(c.stages.busyUsPerAlert)} µs busy per alert, every event's share in it${PROFILES ? `; ${c.profile}` : ''})`,
    );
    console.table(c.stages.rows);
  }
}
const typical = measured.typical;
const heavy = measured.heavy;
const complete = (m: MixResult | undefined): m is Required<MixResult> =>
  Boolean(m?.bare && m.validateOnly && m.fullMemory && m.fullRedis && (m.mix !== 'heavy' || m.fullRedisPair));
if (ONLY || !complete(typical) || !complete(heavy) || !micro || !mem) {
  printAlertCosts();
  console.log(
    JSON.stringify({
      bench: 'pipeline-partial',
      only: ONLY,
      throughput: measured,
      cpu_per_alert: costJson,
      latency: latencies,
      micro: micro?.json,
      memstore: mem,
    }),
  );
  await tearDown();
  process.exit(0);
}
const ratioOf = (m: Required<MixResult>, r: ChildResult) => r.events_per_s / m.bare.events_per_s;
const ratio = ratioOf(heavy, heavy.fullRedis);
const ratioTypical = ratioOf(typical, typical.fullRedis);
const p99Added = medianAt(RATES[0], (l) => l.full.p99 - l.bare.p99);
const p99Added5k = medianAt(RATES[1], (l) => l.full.p99 - l.bare.p99);
for (const m of [typical, heavy]) {
  const rows: Record<string, string | number>[] = [];
  const consumerRow = (name: string, r: ChildResult) =>
    rows.push({
      measure: name,
      'events/s': Math.round(r.events_per_s),
      'CPU µs/event': round(r.cpu_us_per_event, 2),
      'peak RSS MB': round(r.peak_rss_mb),
      'ratio to bare': round(ratioOf(m, r), 3),
      note:
        r.valid !== undefined
          ? `${r.valid} valid, ${(r.events as number) - (r.valid as number)} invalid; no other work`
          : r.per_member !== undefined
            ? `events per process: ${(r.per_member as number[]).join(' + ')}; ×${round(r.events_per_s / m.fullRedis.events_per_s, 2)} of one process`
            : r.delivered_seconds === undefined
              ? ''
              : `${r.emails} emails; all delivered at ${round(r.delivered_seconds as number)} s (${round(r.cpu_us_per_event_with_delivery as number, 2)} µs CPU/event incl. delivery)`,
    });
  consumerRow('a) bare kafkajs eachBatch', m.bare);
  consumerRow("a') kafkajs + JSON + validation only", m.validateOnly);
  consumerRow('b) login-events + outbox, memory store', m.fullMemory);
  consumerRow('b) login-events + outbox, Redis', m.fullRedis);
  if (m.mix === 'heavy') consumerRow('b×2) the same, two processes in one group', m.fullRedisPair);
  console.log(
    `\nThroughput, ${m.mix} mix (one account in ${m.enrolledEvery} enrolled), ${EVENTS} events (12 partitions; produced at ${Math.round(m.produceRate)}/s in batches of 500)`,
  );
  console.table(rows);
}
console.log(
  `\nLatency, heavy mix, produce → receipt (bare) and produce → outbox send (enrolled sign-in, Redis), ms, steady state (${LATENCY_S} s runs after the first ${WARMUP_MS / 1000} s)${LATENCY_RUNS > 1 ? `; ${LATENCY_RUNS} runs per rate, the JSON line has their medians` : ''}`,
);
console.table(
  latencies.map((l) => ({
    'rate/s': l.rate,
    run: l.run,
    'bare p50': l.bare.p50,
    'bare p95': l.bare.p95,
    'bare p99': l.bare.p99,
    'send p50': l.full.p50,
    'send p95': l.full.p95,
    'send p99': l.full.p99,
    'decided p50': l.decided?.p50 ?? '',
    'decided p99': l.decided?.p99 ?? '',
    'added p50': l.full.p50 - l.bare.p50,
    'added p99': l.full.p99 - l.bare.p99,
    samples: `${l.bare.count} / ${l.full.count}`,
  })),
);
console.log(`\nStart-up, the first ${WARMUP_MS / 1000} s of the same runs (not in the figures above), ms`);
console.table(
  latencies.map((l) => ({
    'rate/s': l.rate,
    run: l.run,
    'bare p50': l.startup.bare.p50,
    'bare p99': l.startup.bare.p99,
    'decided p50': l.startup.decided?.p50 ?? '',
    'decided p99': l.startup.decided?.p99 ?? '',
    'send p50': l.startup.full.p50,
    'send p99': l.startup.full.p99,
    'added p99': l.startup.full.p99 - l.startup.bare.p99,
  })),
);
printAlertCosts();
console.log('\nMicro figures');
console.table(micro.rows);
console.log('\nMemory store holding 1,000,000 session markers (RSS after GC)');
console.table([
  { measure: 'process baseline', MB: round(mem.baseline_rss_mb as number) },
  { measure: 'with the store', MB: round(mem.store_rss_mb as number) },
  { measure: 'store alone (difference)', MB: round(mem.store_only_mb as number) },
  { measure: 'JS heap in use with the store', MB: round(mem.heap_used_mb as number) },
  { measure: 'with the store and the geo DB', MB: round(mem.with_geo_rss_mb as number) },
]);
const mixJson = (m: Required<MixResult>) => ({
  enrolled_every: m.enrolledEvery,
  events_per_s_bare: Math.round(m.bare.events_per_s),
  events_per_s_validate_only: Math.round(m.validateOnly.events_per_s),
  events_per_s: Math.round(m.fullRedis.events_per_s),
  events_per_s_memory: Math.round(m.fullMemory.events_per_s),
  ratio: round(ratioOf(m, m.fullRedis), 3),
  ratio_memory: round(ratioOf(m, m.fullMemory), 3),
  ratio_validate_only: round(ratioOf(m, m.validateOnly), 3),
  cpu_us_per_event: round(m.fullRedis.cpu_us_per_event, 2),
  cpu_us_per_event_with_delivery: round(m.fullRedis.cpu_us_per_event_with_delivery as number, 2),
  cpu_us_per_event_validate_only: round(m.validateOnly.cpu_us_per_event, 2),
  cpu_us_per_event_bare: round(m.bare.cpu_us_per_event, 2),
  emails: m.fullRedis.emails,
  cpu_us_per_alert: costJson[m.mix]?.cpu_us_per_alert ?? null,
  rss_mb: round(m.fullRedis.peak_rss_mb),
});
console.log(
  JSON.stringify({
    bench: 'pipeline',
    node: process.version,
    events: EVENTS,
    ratio: round(ratio, 3),
    ratio_typical: round(ratioTypical, 3),
    p99_added_ms: p99Added,
    p99_added_ms_5k: p99Added5k,
    rss_mb: round(Math.max(heavy.fullRedis.peak_rss_mb, typical.fullRedis.peak_rss_mb)),
    events_per_s_two_processes: Math.round(heavy.fullRedisPair.events_per_s),
    ratio_two_processes: round(ratioOf(heavy, heavy.fullRedisPair), 3),
    heavy: mixJson(heavy),
    typical: mixJson(typical),
    cpu_per_alert: costJson,
    p99_added_ms_startup: medianAt(RATES[0], (l) => l.startup.full.p99 - l.startup.bare.p99),
    latency_runs: LATENCY_RUNS,
    latency_warmup_ms: WARMUP_MS,
    latency_seconds: LATENCY_S,
    latency: latencies,
    memstore_1m_rss_mb: round(mem.store_rss_mb as number),
    memstore_1m_store_only_mb: round(mem.store_only_mb as number),
    memstore_1m_heap_used_mb: round(mem.heap_used_mb as number),
    memstore_1m_with_geo_rss_mb: round(mem.with_geo_rss_mb as number),
    micro: micro.json,
  }),
);

await tearDown();
process.exit(0);

// ---------------------------------------------------------------------------------------------------

/** Runs the clean-ups (last registered first) and disconnects. */
async function tearDown(): Promise<void> {
  const profiles = PROFILES;
  if (profiles)
    progress(`CPU profiles in ${profiles}; by owner: npm run bench:where -- ${profiles}/*.cpuprofile`);
  const heapProfiles = process.env.BENCH_HEAP_PROF?.trim();
  if (heapProfiles)
    progress(`heap profiles in ${heapProfiles}; npm run bench:allocations -- ${heapProfiles}/*.heapprofile`);
  for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => {});
  await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
}

async function deleteRedisKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `la:{${prefix}-*`, 'COUNT', 5000);
      cursor = next;
      if (found.length > 0) await redis.unlink(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function microFigures() {
  const microsPerOp = async (ops: number, fn: () => unknown) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e3 / ops;
  };
  const next = rng(42);
  // UA: warm the regexes on one parser, measure a fresh one (cold = every UA a miss), then its cache.
  const warm = createDeviceParser({ cacheSize: 1 });
  for (const ua of UA_CORPUS.slice(0, 2_000)) warm.parse(`${ua} warm`);
  const parser = createDeviceParser({ cacheSize: UA_CORPUS.length });
  const uaCold = await microsPerOp(UA_CORPUS.length, () => {
    for (const ua of UA_CORPUS) parser.parse(ua);
  });
  const hot = UA_CORPUS.slice(0, 1_000);
  const uaCached = await microsPerOp(hot.length * 50, () => {
    for (let r = 0; r < 50; r++) for (const ua of hot) parser.parse(ua);
  });
  const geo = await openGeo({});
  const ips = Array.from({ length: 100_000 }, () => publicIpv4(next));
  for (const ip of ips.slice(0, 5_000)) geo.lookup(ip);
  const geoUs = await microsPerOp(ips.length, () => {
    for (const ip of ips) geo.lookup(ip);
  });
  geo.close();
  // Dedupe: a batch of 500 session keys, read in one call, then set-if-absent in one call.
  const batches = 200;
  const keyBatches = Array.from({ length: batches }, (_, b) =>
    Array.from({ length: 500 }, (_, i) => keys.session(`${stamp}-micro-${i % 97}`, `s-${b}-${i}`)),
  );
  const dedupe = async (store: ReturnType<typeof createMemoryStore>) => {
    const started = process.hrtime.bigint();
    for (const batch of keyBatches) {
      const seen = await store.read(batch);
      await store.write(
        batch
          .filter((_, i) => seen[i] === undefined)
          .map((key) => ({ op: 'setnx' as const, key, value: '1', ttlMs: 60_000 })),
      );
    }
    const total = Number(process.hrtime.bigint() - started) / 1e3;
    return { perKey: total / (batches * 500), perBatchMs: total / batches / 1000 };
  };
  const memory = await dedupe(createMemoryStore());
  const redisStore = createRedisStore(REDIS_URL);
  await redisStore.ping();
  const redis = await dedupe(redisStore);
  await redisStore.close();
  await deleteRedisKeys(`${stamp}-micro`);
  const json = {
    ua_parse_cold_us: round(uaCold, 2),
    ua_parse_cached_us: round(uaCached, 3),
    geo_lookup_us: round(geoUs, 2),
    dedupe_memory_us_per_key: round(memory.perKey, 3),
    dedupe_redis_us_per_key: round(redis.perKey, 2),
    dedupe_redis_ms_per_500: round(redis.perBatchMs, 2),
  };
  return {
    json,
    rows: [
      { measure: 'UA parse, cold (cache miss)', value: `${json.ua_parse_cold_us} µs` },
      { measure: 'UA parse, cached', value: `${json.ua_parse_cached_us} µs` },
      { measure: 'geo lookup (DB-IP city, random public IPv4)', value: `${json.geo_lookup_us} µs` },
      {
        measure: 'dedupe check, memory (read + setnx, batch of 500)',
        value: `${json.dedupe_memory_us_per_key} µs/key`,
      },
      {
        measure: 'dedupe check, Redis (MGET + pipelined SET NX, batch of 500)',
        value: `${json.dedupe_redis_us_per_key} µs/key (${json.dedupe_redis_ms_per_500} ms/batch)`,
      },
    ],
  };
}
