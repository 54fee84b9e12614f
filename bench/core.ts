// CPU cost of the pure core per event: decode + validate + enrich (device, geo) + assess + remember.
// Run: node --import tsx bench/core.ts   (prints a table, then one JSON line)
import { readFileSync } from 'node:fs';
import { decodeAuthEvent } from '../src/contracts/decode.js';
import { createDeviceParser } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import { assessSignIn, emptyHistory, rememberSignIn } from '../src/risk/assess.js';
import type { AccountHistory } from '../src/risk/types.js';

const N = Number(process.env.BENCH_CORE_EVENTS ?? 100_000);
const corpus = readFileSync(
  new URL('../test/fixtures/user-agents/uap-core-corpus.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter(Boolean);

let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
// Popular user agents repeat in real traffic: draw from the corpus with a skew (Zipf-like).
const pickUa = () => corpus[Math.floor(corpus.length * random() ** 3)]!;
const pickIp = () =>
  `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;

const now = Date.now();
const records = Array.from({ length: N }, (_, i) =>
  Buffer.from(
    JSON.stringify({
      event_id: `e${i}`,
      schema_version: 1,
      type: 'login.succeeded',
      occurred_at: new Date(now - (N - i) * 10).toISOString(),
      account_id: `a${i % 5_000}`,
      session_id: `s${i}`,
      product: 'chatgpt',
      client: { ip: pickIp(), user_agent: pickUa() },
      auth: { method: 'passkey' },
      source: 'bench',
    }),
  ),
);

const devices = createDeviceParser();
const geo = await openGeo({});
const histories = new Map<string, AccountHistory>();

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let valid = 0;
for (const record of records) {
  const decoded = decodeAuthEvent(record, now);
  if (!decoded.ok) continue;
  valid++;
  const event = decoded.value;
  const device = devices.parse(event.client.user_agent);
  const where = geo.lookup(event.client.ip);
  const history = histories.get(event.account_id) ?? emptyHistory();
  const ctx = {
    event,
    device,
    geo: where,
    enrolled: true,
    history,
    now: Date.parse(event.occurred_at),
    historyWindowMs: 90 * 86_400_000,
  };
  assessSignIn(ctx);
  histories.set(event.account_id, rememberSignIn(history, ctx));
}
const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
const cpu = process.cpuUsage(cpu0);
const { hits, misses } = devices.stats();
const result = {
  events: N,
  valid,
  cpu_us_per_event: Number(((cpu.user + cpu.system) / N).toFixed(2)),
  wall_us_per_event: Number((wallUs / N).toFixed(2)),
  events_per_s_one_core: Math.round(N / (wallUs / 1e6)),
  ua_cache_hit_rate: Number((hits / (hits + misses)).toFixed(3)),
  rss_mb: Math.round(process.memoryUsage().rss / 1e6),
};
console.log('core (decode+validate+enrich+assess+remember), per event');
for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(24)} ${v}`);
console.log(JSON.stringify(result));
geo.close();
