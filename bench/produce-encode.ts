// CPU of encoding the alert path's produce requests: kafkajs's own Encoder methods against the tuned
// ones (src/kafka/kafkajs-encoder.ts), in turns in one process, on the records alerts really make
// (the alert, its OCSF form and the notification request, from decisions on synthetic sign-ins).
// Run: node --expose-gc --import tsx bench/produce-encode.ts   (prints a table, then one JSON line)
import { createRequire } from 'node:module';
import { tuneEncoder, useEncoder } from '../src/kafka/kafkajs-encoder.js';
import { keyHash } from '../src/kafka/partitioner.js';
import { alertRecords } from './alert-records.js';

const REQUESTS = Number(process.env.BENCH_ENCODE_REQUESTS ?? 200);
const PER_REQUEST = 500; // the publisher's most records per call (src/kafka/produce-requests.ts)
const ROUNDS = 5;

const require = createRequire(import.meta.url);
const from = { paths: [require.resolve('kafkajs')] };
const produceRequest = require(require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js', from));

const records = await alertRecords(PER_REQUEST);
// Each topic's records spread over its partitions by key, as the producer sends them.
const PARTITIONS = 6;
const byPartition = new Map<string, Map<number, { key: string; value: Buffer; timestamp: number }[]>>();
for (const r of records.slice(0, PER_REQUEST)) {
  const partitions =
    byPartition.get(r.topic) ?? new Map<number, { key: string; value: Buffer; timestamp: number }[]>();
  byPartition.set(r.topic, partitions);
  const p = (keyHash(r.key) & 0x7fffffff) % PARTITIONS;
  // A fixed timestamp keeps the two sides' bytes comparable; the delta is 0 either way. Values are
  // bytes, as the publisher hands them over.
  const message = { key: r.key, value: Buffer.from(JSON.stringify(r.value)), timestamp: 1_800_000_000_000 };
  partitions.set(p, [...(partitions.get(p) ?? []), message]);
}
const topicData = [...byPartition].map(([topic, partitions]) => ({
  topic,
  partitions: [...partitions].map(([partition, messages]) => ({ partition, messages })),
}));
const bytes = records
  .slice(0, PER_REQUEST)
  .reduce((n, r) => n + Buffer.byteLength(r.key) + Buffer.byteLength(JSON.stringify(r.value)), 0);
const encodeOnce = async () =>
  (await produceRequest({ acks: -1, timeout: 30_000, topicData }).encode()).buffer as Buffer;

if (tuneEncoder() !== 'replaced') throw new Error('the Encoder was not tuned: another kafkajs?');

const encodeAll = async () => {
  const cpu = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await encodeOnce();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / (REQUESTS * PER_REQUEST);
};
// The same bytes either way, or the comparison means nothing.
useEncoder('kafkajs');
const reference = await encodeOnce();
useEncoder('tuned');
if (!(await encodeOnce()).equals(reference)) throw new Error('the tuned Encoder wrote other bytes');

// Turns in ABBA order, each after a collection (with --expose-gc), so neither side pays for the
// other's garbage or always runs second.
const gc = (globalThis as { gc?: () => void }).gc;
const runs: Record<'kafkajs' | 'tuned', number[]> = { kafkajs: [], tuned: [] };
for (let round = 0; round < ROUNDS + 1; round++) {
  const order = round % 2 === 0 ? (['kafkajs', 'tuned'] as const) : (['tuned', 'kafkajs'] as const);
  for (const name of order) {
    useEncoder(name);
    gc?.();
    const us = await encodeAll();
    if (round > 0) runs[name].push(us); // the first round warms both up
  }
}
useEncoder('tuned');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const result = {
  records_per_request: PER_REQUEST,
  avg_record_bytes: Math.round(bytes / PER_REQUEST),
  partitions: PARTITIONS,
  kafkajs_us_per_record: Number(median(runs.kafkajs).toFixed(2)),
  tuned_us_per_record: Number(median(runs.tuned).toFixed(2)),
};
console.log(`produce request encoding, µs of CPU per record (median of ${ROUNDS} rounds in turns)`);
console.table([
  { encoder: "kafkajs's own methods", 'µs/record': result.kafkajs_us_per_record },
  { encoder: 'tuned (src/kafka/kafkajs-encoder.ts)', 'µs/record': result.tuned_us_per_record },
]);
console.log(JSON.stringify({ bench: 'produce-encode', ...result }));
