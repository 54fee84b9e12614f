/**
 * Where the CPU of a measured window goes: `node --import tsx bench/where.ts <profile>… [--events N]`
 * reads the profiles `BENCH_CPU_PROF=<dir> npm run bench` wrote and prints, per profile, the main
 * thread's microseconds per event by owner: the libraries the pipeline stands on (kafkajs, JSON.parse of
 * each consumed record's value, ioredis, Handlebars, zod, ua-parser-js, the mmdb reader), the garbage collector, and our
 * own code by directory. A builtin (JSON.stringify, a regex, Intl) is charged to the JavaScript function
 * that called it, and a Node internal to the nearest caller outside Node, so each sample has one owner.
 * Idle time and the profiler's own work are shown apart and left out of the busy total.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Owners that are not our code, in the order they are printed. */
const LIBRARIES = [
  'kafkajs',
  'JSON.parse (records)',
  'ioredis',
  'handlebars',
  'zod',
  'ua-parser-js',
  'mmdb-lib',
];
const APART = new Set(['(idle)', 'profiler']);

/** The owner of one frame, or undefined for a frame that passes its time to its caller. */
function ownerOf(frame: ProfileNode['callFrame']): string | undefined {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : undefined;
  if (url.startsWith('node:')) return url.startsWith('node:inspector') ? 'profiler' : undefined;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] === 'maxmind' ? 'mmdb-lib' : pkg[1];
  if (url.includes('/bench/')) return url.includes('profile-window') ? 'profiler' : 'bench harness';
  if (functionName === 'decodeJson' && url.includes('/src/contracts/')) return 'JSON.parse (records)';
  const ours = /\/((?:src\/[^/]+)|consumers)\//.exec(url);
  return ours ? `ours: ${ours[1]}` : 'other';
}

function owners(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const found = ownerOf(node.callFrame) ?? (up === undefined ? 'node internals' : resolve(up));
    owner.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const who = resolve(id);
    totals.set(who, (totals.get(who) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { events: { type: 'string', default: process.env.BENCH_EVENTS ?? '200000' } },
});
const events = Number(values.events);
if (positionals.length === 0 || !(events > 0)) {
  console.error('usage: node --import tsx bench/where.ts <file.cpuprofile>… [--events N]');
  process.exit(2);
}
const us = (t: number) => (t / events).toFixed(2).padStart(7);
for (const file of positionals) {
  const totals = owners(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = [...totals].filter(([k]) => !APART.has(k)).reduce((n, [, t]) => n + t, 0);
  const line = (name: string, t: number) =>
    console.log(`${us(t)} µs  ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`\n${basename(file)}: ${us(busy).trim()} µs of main-thread work per event (${events} events)`);
  const take = (name: string) => {
    const t = totals.get(name) ?? 0;
    totals.delete(name);
    return t;
  };
  let libraries = 0;
  console.log('  not ours:');
  for (const name of LIBRARIES) {
    const t = take(name);
    libraries += t;
    if (t > 0) line(name, t);
  }
  const gc = take('(garbage collector)');
  line('garbage collector (everyone allocates)', gc);
  console.log('  ours:');
  const ours = [...totals].filter(([k]) => k.startsWith('ours: ')).sort((a, b) => b[1] - a[1]);
  for (const [name, t] of ours) {
    line(name.slice(6), t);
    totals.delete(name);
  }
  console.log('  the rest:');
  for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1])) if (!APART.has(name)) line(name, t);
  const oursTotal = ours.reduce((n, [, t]) => n + t, 0);
  console.log(
    `  libraries ${us(libraries).trim()} µs, GC ${us(gc).trim()}, ours ${us(oursTotal).trim()}; apart: idle ${us(totals.get('(idle)') ?? 0).trim()}, profiler ${us(totals.get('profiler') ?? 0).trim()}`,
  );
}
