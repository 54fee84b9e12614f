// CPU per event of the login-events handler itself, in process: the benchmark workload decoded,
// decided and written to a store, with a publisher that only counts. No broker.
// Run: node --import tsx bench/handler.ts   (BENCH_EVENTS, default 100,000; REDIS_URL for the Redis store;
// BENCH_ENROLLED_EVERY, default 100: one account in that many enrolled; BENCH_CPU_PROF=<dir> for a profile)
import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '../src/config/config.js';
import { createDeviceParser } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import type { InRecord } from '../src/kafka/consumer-loop.js';
import type { OutRecord, Publisher } from '../src/kafka/publisher.js';
import { createMetrics } from '../src/observe/metrics.js';
import { OutcomeLog } from '../src/observe/outcomes.js';
import { createLoginEventsHandler } from '../src/pipeline/login-events.js';
import { createMemoryStore } from '../src/state/memory.js';
import { createRedisStore } from '../src/state/redis.js';
import { buildWorkload } from './load.js';
import { windowProfile } from './profile-window.js';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const redisUrl = process.env.REDIS_URL?.trim();
const prefix = `hb-${Date.now().toString(36)}`;
const records: InRecord[] = [];
const workload = buildWorkload(
  N,
  prefix,
  (i, key, value) =>
    records.push({
      topic: 'auth.events',
      partition: 0,
      message: {
        key: Buffer.from(key),
        value: Buffer.from(value),
        offset: String(i),
        timestamp: String(Date.now()),
        attributes: 0,
        headers: {},
      } as KafkaMessage,
    }),
  1,
  Number(process.env.BENCH_ENROLLED_EVERY ?? 100),
);
const config = loadConfig({ ...process.env, REDIS_URL: redisUrl ?? '' });
const store = redisUrl ? createRedisStore(redisUrl) : createMemoryStore();
const profiles = process.env.HB_NO_PROFILES ? [] : workload.profiles;
await store.write(
  profiles.map((p) => ({ op: 'set' as const, key: `la:{${p.key}}:profile`, value: p.value })),
);
let published = 0;
const publisher: Publisher = {
  async publish(out: OutRecord[]) {
    for (const r of out) published += JSON.stringify(r.value).length > 0 ? 1 : 0;
  },
  async close() {},
};
const handler = createLoginEventsHandler({
  store,
  devices: createDeviceParser(),
  geo: await openGeo({}),
  publisher,
  config,
  metrics: createMetrics(),
  outcomes: new OutcomeLog(),
});
const profiler = windowProfile(`handler-${store.kind}`);
profiler.start();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < records.length; i += 500) await handler(records.slice(i, i + 500));
const ms = performance.now() - t0;
await profiler.stop();
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    store: store.kind,
    events: N,
    enrolled_every: Number(process.env.BENCH_ENROLLED_EVERY ?? 100),
    published,
    wall_us_per_event: Number(((ms * 1000) / N).toFixed(2)),
    cpu_us_per_event: Number(((cpu.user + cpu.system) / N).toFixed(2)),
    events_per_s: Math.round(N / (ms / 1000)),
  }),
);
await store.close();
process.exit(0);
