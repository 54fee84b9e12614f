// CPU cost of the pure core per event: decode + validate + enrich (device, geo) + assess + remember.
// Run: node --import tsx bench/core.ts   (prints a table, then one JSON line)
import { decodeAuthEvent } from '../src/contracts/decode.js';
import { createDeviceParser } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import { authEvent } from '../src/pipeline/synthetic.js';
import { assessSignIn, emptyHistory, rememberSignIn } from '../src/risk/assess.js';
import type { AccountHistory } from '../src/risk/types.js';
import { publicIpv4, rng, UA_CORPUS, zipfPicker } from './load.js';

const N = Number(process.env.BENCH_CORE_EVENTS ?? 100_000);
const next = rng(42);
// Popular user agents repeat in real traffic: the same Zipf draw and address spread as `npm run bench`.
const pickUa = zipfPicker(UA_CORPUS, next);
const pickIp = () => publicIpv4(next);

const now = Date.now();
const records = Array.from({ length: N }, (_, i) =>
  Buffer.from(
    JSON.stringify(
      authEvent({
        event_id: `e${i}`,
        occurred_at: new Date(now - (N - i) * 10).toISOString(),
        account_id: `a${i % 5_000}`,
        session_id: `s${i}`,
        client: { ip: pickIp(), user_agent: pickUa() },
        source: 'bench',
      }),
    ),
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
