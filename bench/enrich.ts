// Micro-benchmark of the enrich stage: user-agent parsing (cold and cached), geo lookups, UA cache hit rate.
// Run: node --import tsx bench/enrich.ts   (prints a table, then one JSON line)
import { createDeviceParser, DEFAULT_UA_CACHE_SIZE } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import { classifyIp } from '../src/enrich/ip.js';
import { rng, UA_CORPUS, zipfPicker } from './load.js';

const corpus = UA_CORPUS;

function microsPerOp(ops: number, run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e3 / ops;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

// Warm the JIT and ua-parser's regexes on a separate parser, then measure a fresh one.
const warm = createDeviceParser({ cacheSize: 1 });
for (const ua of corpus.slice(0, 2_000)) warm.parse(`${ua} warm`);

const coldParser = createDeviceParser({ cacheSize: corpus.length });
const uaColdUs = microsPerOp(corpus.length, () => {
  for (const ua of corpus) coldParser.parse(ua);
});
const hot = corpus.slice(0, 1_000);
const cachedRounds = 50;
const uaCachedUs = microsPerOp(hot.length * cachedRounds, () => {
  for (let r = 0; r < cachedRounds; r++) for (const ua of hot) coldParser.parse(ua);
});

// The corpus has no repeated lines, so parsing it in order can only miss: the honest figure is 0.
const inOrder = createDeviceParser();
for (const ua of corpus) inOrder.parse(ua);
const s = inOrder.stats();
const corpusHitRate = s.hits / (s.hits + s.misses);

// A production-like stream: 200k logins drawn from the corpus with a Zipf(1.1) popularity.
const zipf = zipfPicker(corpus, rng(7));
const zipfParser = createDeviceParser();
for (let i = 0; i < 200_000; i++) zipfParser.parse(zipf());
const z = zipfParser.stats();
const zipfHitRate = z.hits / (z.hits + z.misses);

// Geo: bundled DB-IP Lite, random public addresses (cold: mostly distinct) and a repeated working set (hot).
const geo = await openGeo({});
const next = rng(42);
const publicV4: string[] = [];
while (publicV4.length < 100_000) {
  const ip = [0, 0, 0, 0].map(() => Math.floor(next() * 256)).join('.');
  if (classifyIp(ip)?.network === 'public') publicV4.push(ip);
}
const publicV6 = Array.from({ length: 20_000 }, () => {
  const groups = [
    0x2001 + Math.floor(next() * 0x3000),
    ...Array.from({ length: 7 }, () => Math.floor(next() * 0x10000)),
  ];
  return groups.map((g) => g.toString(16)).join(':');
});
for (const ip of publicV4.slice(0, 5_000)) geo.lookup(ip);
const geoV4Us = microsPerOp(publicV4.length, () => {
  for (const ip of publicV4) geo.lookup(ip);
});
const geoV6Us = microsPerOp(publicV6.length, () => {
  for (const ip of publicV6) geo.lookup(ip);
});
const hotIps = publicV4.slice(0, 1_000);
const geoHotUs = microsPerOp(hotIps.length * 50, () => {
  for (let r = 0; r < 50; r++) for (const ip of hotIps) geo.lookup(ip);
});
const classifyUs = microsPerOp(publicV4.length, () => {
  for (const ip of publicV4) classifyIp(ip);
});
geo.close();

const result = {
  bench: 'enrich',
  node: process.version,
  ua_corpus_size: corpus.length,
  ua_cache_size: DEFAULT_UA_CACHE_SIZE,
  ua_parse_cold_us: round(uaColdUs),
  ua_parse_cached_us: round(uaCachedUs, 3),
  ua_cache_hit_rate_corpus_in_order: round(corpusHitRate, 4),
  ua_cache_hit_rate_zipf_200k: round(zipfHitRate, 4),
  geo_lookup_dbip_v4_us: round(geoV4Us),
  geo_lookup_dbip_v6_us: round(geoV6Us),
  geo_lookup_dbip_hot_us: round(geoHotUs),
  classify_ip_us: round(classifyUs, 3),
};

console.table([
  { measure: 'UA parse, cold (cache miss)', value: `${result.ua_parse_cold_us} µs` },
  { measure: 'UA parse, cached (cache hit)', value: `${result.ua_parse_cached_us} µs` },
  {
    measure: `UA cache hit rate, corpus in order (${corpus.length} distinct UAs)`,
    value: `${(corpusHitRate * 100).toFixed(1)} %`,
  },
  {
    measure: 'UA cache hit rate, 200k Zipf(1.1) draws from the corpus',
    value: `${(zipfHitRate * 100).toFixed(1)} %`,
  },
  { measure: 'geo lookup, DB-IP IPv4, random public', value: `${result.geo_lookup_dbip_v4_us} µs` },
  { measure: 'geo lookup, DB-IP IPv6, random', value: `${result.geo_lookup_dbip_v6_us} µs` },
  { measure: 'geo lookup, DB-IP IPv4, 1,000 hot addresses', value: `${result.geo_lookup_dbip_hot_us} µs` },
  { measure: 'classifyIp', value: `${result.classify_ip_us} µs` },
]);
console.log(JSON.stringify(result));
