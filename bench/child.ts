/**
 * One measured consumer, run in its own process by bench/run.ts so its CPU time and peak RSS are its
 * own: `node --import tsx bench/child.ts <mode>` with the settings in BENCH_* variables. Prints one JSON
 * line on stdout, prefixed `RESULT `; `READY` once it has joined its groups (latency runs wait for it).
 * The harness is TypeScript; the code it measures is the compiled dist/, as `npm start` runs it.
 *
 * modes: bare (kafkajs eachBatch doing nothing), validate (the same, decoding and validating each
 * record as the pipeline does: JSON + zod, nothing else — the ceiling of any consumer that must
 * validate), full (the login-events path and the email dispatcher writing to the outbox: memory
 * store, or Redis when REDIS_URL is set), memstore (a memory store holding BENCH_SESSIONS session
 * markers, then the geo database too).
 */

import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build as buildHistogram } from 'hdr-histogram-js';
import { windowProfile } from './profile-window.js';
import { readThreadCpu, type ThreadCpu, threadShares } from './thread-cpu.js';

// Each mode imports what it needs, so the memory-store figure is not inflated by modules it never uses.
const mode = process.argv[2];
const expected = Number(process.env.BENCH_EXPECT ?? 0);
const latency = process.env.BENCH_LATENCY === '1';
/** BENCH_SHARED=1: one of several full-path processes in one group (the scale-out run). */
const shared = process.env.BENCH_SHARED === '1';
/** Latency runs: the first BENCH_WARMUP_MS after the first event are the start-up, kept apart. */
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3_000);
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
/** The kernel's share of the process CPU (socket writes and reads, timers): system µs. */
const sysUs = () => process.cpuUsage().system;
/**
 * Lines in `file` (0 if there is none), read a chunk at a time: the outbox of a storm holds hundreds
 * of megabytes, and reading it whole would put the count in the run's peak RSS.
 */
function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const read = chunk.subarray(0, n);
      for (let at = read.indexOf(0x0a); at >= 0; at = read.indexOf(0x0a, at + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}
const result = (r: object) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
/**
 * The product as it ships: the compiled dist/ beside this file (bench/run.ts builds it when stale),
 * not the sources through tsx, whose transform adds work of its own (a naming call per closure made).
 */
function shipped<M>(path: string): Promise<M> {
  if (!existsSync(new URL('../dist/.build-complete', import.meta.url)))
    throw new Error('no complete build in dist/: run `npm run build` (npm run bench builds it when stale)');
  return import(new URL(`../dist/${path}`, import.meta.url).href) as Promise<M>;
}
const histogram = () =>
  buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });

async function bare(validate: boolean): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const decode = validate
    ? (await shipped<typeof import('../src/contracts/decode.js')>('src/contracts/decode.js')).decodeAuthEvent
    : undefined;
  let valid = 0;
  const kafka = new Kafka({
    clientId: 'bench-bare',
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: process.env.BENCH_GROUP!,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.BENCH_TOPIC!, fromBeginning: true });
  const lat = histogram();
  const startupLat = histogram();
  // The start-up (JIT, connections, the broker's first appends) is measured apart, as on the full path.
  let warmupUntil = 0;
  let count = 0;
  let first = 0;
  let cpu0 = 0;
  let done: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const profiler = windowProfile(validate ? 'validate' : 'bare');
  consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('READY\n'));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (count === 0) {
        first = performance.now();
        cpu0 = cpuUs();
        profiler.start();
      }
      if (latency) {
        const now = Date.now();
        if (warmupUntil === 0) warmupUntil = Number(batch.messages[0]?.timestamp ?? now) + WARMUP_MS;
        for (const m of batch.messages) {
          const ts = Number(m.timestamp);
          (ts >= warmupUntil ? lat : startupLat).recordValue(Math.max(1, now - ts));
        }
      }
      if (decode) {
        const now = Date.now();
        for (const m of batch.messages) if (decode(m.value, now).ok) valid++;
      }
      count += batch.messages.length;
      if (count >= expected) done();
    },
  });
  await finished;
  const seconds = (performance.now() - first) / 1000;
  const cpu = cpuUs() - cpu0;
  await profiler.stop(() => ({ events: count }));
  await consumer.disconnect();
  result({
    mode: validate ? 'validate' : 'bare',
    events: count,
    valid: decode ? valid : undefined,
    seconds,
    events_per_s: count / seconds,
    cpu_us_per_event: cpu / count,
    peak_rss_mb: peakRssMb(),
    latency_ms: latency ? percentiles(lat) : undefined,
    startup_ms: latency ? percentiles(startupLat) : undefined,
  });
}

async function full(): Promise<void> {
  const { startAccountSecurity } = await shipped<typeof import('../consumers/account-security.js')>(
    'consumers/account-security.js',
  );
  const { startDispatchers } =
    await shipped<typeof import('../consumers/dispatch.js')>('consumers/dispatch.js');
  const { loadConfig } = await shipped<typeof import('../src/config/config.js')>('src/config/config.js');
  const { runConsumerLoop } = await shipped<typeof import('../src/kafka/consumer-loop.js')>(
    'src/kafka/consumer-loop.js',
  );
  const { ensureTopics } = await shipped<typeof import('../src/kafka/topics.js')>('src/kafka/topics.js');
  const { silentLogger } = await shipped<typeof import('../src/observe/logger.js')>('src/observe/logger.js');
  const { createLoginEventsHandler, LOGIN_EVENTS_CHUNK_SIZE } = await shipped<
    typeof import('../src/pipeline/login-events.js')
  >('src/pipeline/login-events.js');
  const { buildServices } =
    await shipped<typeof import('../src/runtime/services.js')>('src/runtime/services.js');
  const config = loadConfig(process.env);
  const log = silentLogger();
  const services = await buildServices(config, log);
  const admin = services.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config.topics);
  const profiles = await startAccountSecurity(services);
  await profiles.caughtUp;
  const { startEnrolledDirectory } = await shipped<typeof import('../consumers/enrolled-directory.js')>(
    'consumers/enrolled-directory.js',
  );
  const directory = await startEnrolledDirectory(services);
  await directory.caughtUp;
  // As `login-alerts run` does before joining its groups (src/runtime/warm-up.ts).
  const { warmUp } = await shipped<typeof import('../src/runtime/warm-up.js')>('src/runtime/warm-up.js');
  await warmUp(services);
  const handler = createLoginEventsHandler({
    ...services,
    config,
    metrics: services.metrics,
    outcomes: services.outcomes,
  });
  let count = 0;
  let first = 0;
  let cpu0 = 0;
  let sys0 = 0;
  let threads0: ThreadCpu | undefined;
  const profiler = windowProfile(`full-${services.store.kind}`);
  // Where the latency goes: produce → decided (alert and notification durable on their topics).
  const decidedLat = histogram();
  const decidedStartup = histogram();
  let warmupUntil = 0;
  const loop = await runConsumerLoop({
    kafka: services.kafka,
    groupId: config.kafka.groupId,
    topics: [config.topics.authEvents],
    chunkSize: LOGIN_EVENTS_CHUNK_SIZE,
    log,
    handler: async (records) => {
      if (count === 0) {
        first = performance.now();
        cpu0 = cpuUs();
        sys0 = sysUs();
        threads0 = readThreadCpu();
        profiler.start();
      }
      await handler(records);
      count += records.length;
      if (latency) {
        const now = Date.now();
        if (warmupUntil === 0) warmupUntil = Number(records[0]?.message.timestamp ?? now) + WARMUP_MS;
        for (const r of records) {
          const ts = Number(r.message.timestamp);
          (ts >= warmupUntil ? decidedLat : decidedStartup).recordValue(Math.max(1, now - ts));
        }
      }
    },
  });
  const deliveries = await startDispatchers(services);
  const emailGroup = `${config.kafka.groupId}.deliver.email`;
  if (latency) {
    // Production starts once both groups are stable, so no event waits for a join.
    for (;;) {
      const { groups } = await admin.describeGroups([config.kafka.groupId, emailGroup]);
      if (groups.every((g) => g.state === 'Stable')) break;
      await sleep(100);
    }
    process.stdout.write('READY\n');
  }
  /** Records of `topic` not yet committed by `groupId`. */
  const lag = async (groupId: string, topic: string) => {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    let total = 0;
    for (const p of ends) {
      const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
      total += Math.max(0, Number(p.high) - Math.max(c, Number(p.low)));
    }
    return total;
  };
  // One of several members of the group (the topic is loaded before they start): done when the
  // group has committed all of it.
  if (shared) while ((await lag(config.kafka.groupId, config.topics.authEvents)) > 0) await sleep(20);
  else while (count < expected) await sleep(5);
  const doneAt = performance.timeOrigin + performance.now();
  const decidedS = (performance.now() - first) / 1000;
  const cpuDecided = cpuUs() - cpu0;
  // Then every notification this run produced has gone through the email dispatcher.
  while ((await lag(emailGroup, config.topics.notifications)) > 0) await sleep(20);
  const deliveredS = (performance.now() - first) / 1000;
  const cpuDelivered = cpuUs() - cpu0;
  const sysDelivered = sysUs() - sys0;
  const threadsDelivered = readThreadCpu();
  // The bench parent always sets OUTBOX_DIR: the emails are counted there.
  const outbox = join(config.outboxDir ?? '.', 'email.jsonl');
  const countEmails = () => countLines(outbox);
  let emails = 0;
  const profile = await profiler.stop(() => {
    emails = countEmails();
    return { events: count, alerts: emails };
  });
  if (!profile) emails = countEmails();
  await Promise.allSettled([
    loop.stop(),
    ...deliveries.map((d) => d.stop()),
    profiles.running.stop(),
    directory.running.stop(),
  ]);
  await admin.disconnect();
  await services.close();
  result({
    mode: `full-${services.store.kind}`,
    events: count,
    first_at_ms: performance.timeOrigin + first,
    done_at_ms: doneAt,
    cpu_us: cpuDecided,
    seconds: decidedS,
    events_per_s: count / decidedS,
    cpu_us_per_event: cpuDecided / count,
    delivered_seconds: deliveredS,
    emails,
    profile,
    cpu_us_per_event_with_delivery: cpuDelivered / count,
    system_cpu_share: sysDelivered / cpuDelivered,
    thread_cpu_share: threads0 && threadsDelivered ? threadShares(threads0, threadsDelivered) : undefined,
    peak_rss_mb: peakRssMb(),
    decided_ms: latency ? percentiles(decidedLat) : undefined,
    decided_startup_ms: latency ? percentiles(decidedStartup) : undefined,
  });
}

async function memstore(): Promise<void> {
  const { keys } = await shipped<typeof import('../src/state/keys.js')>('src/state/keys.js');
  const { createMemoryStore } = await shipped<typeof import('../src/state/memory.js')>('src/state/memory.js');
  const { openGeo } = await shipped<typeof import('../src/enrich/geo.js')>('src/enrich/geo.js');
  const n = Number(process.env.BENCH_SESSIONS ?? 1_000_000);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = rssMb();
  const store = createMemoryStore();
  const week = 7 * 86_400_000;
  for (let i = 0; i < n; i += 10_000) {
    const ops = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      ops.push({
        op: 'setnx' as const,
        key: keys.session(`acct-${j % 100_000}`, `sess-${j}-0123456789abcdef`),
        value: '1',
        ttlMs: week,
      });
    }
    await store.write(ops);
  }
  // Twice: the first full GC frees the write batches, the second lets V8 give the emptied pages back.
  gc?.();
  gc?.();
  const withStore = rssMb();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const geo = await openGeo({});
  geo.lookup('81.2.69.160');
  gc?.();
  const withGeo = rssMb();
  result({
    mode: 'memstore',
    sessions: n,
    baseline_rss_mb: baseline,
    store_rss_mb: withStore,
    store_only_mb: withStore - baseline,
    heap_used_mb: heapMb,
    with_geo_rss_mb: withGeo,
  });
  geo.close();
  await store.close();
}

function percentiles(h: ReturnType<typeof histogram>) {
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    max: h.maxValue,
  };
}

if (mode === 'bare' || mode === 'validate') await bare(mode === 'validate');
else if (mode === 'full') await full();
else if (mode === 'memstore') await memstore();
else throw new Error(`unknown mode ${mode}`);
process.exit(0);
