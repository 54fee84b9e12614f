/**
 * Where the CPU of a measured window goes: `node --import tsx bench/where.ts <profile>… [--events N]
 * [--alerts N]` reads the profiles `BENCH_CPU_PROF=<dir> npm run bench` wrote and prints, per profile,
 * two views (bench/profile-views.ts). By owner, the main thread's microseconds per event: the libraries
 * the pipeline stands on (kafkajs, JSON.parse of each consumed record's value, ioredis, Handlebars, zod,
 * ua-parser-js, the mmdb reader), the garbage collector, and our own code by directory. By stage, for a
 * full-path profile with alerts: microseconds per alert in each stage of the alert's path, and the
 * rest (kafkajs, ioredis, GC, …) by owner. Idle time and the profiler's own work are shown apart and
 * left out of the busy total. The events and alerts of the window come from the profile itself (the
 * child writes them); --events and --alerts are for profiles without them. --stage <name> (or the
 * start of one: `--stage decide`; `rest` for what ran under no stage) also lists the functions that
 * stage's time ran in, --top N of them.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  APART,
  LIBRARIES,
  owners,
  type Profile,
  REST,
  readProfile,
  STAGES,
  stageFunctions,
  stageRows,
} from './profile-views.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: process.env.BENCH_EVENTS ?? '200000' },
    alerts: { type: 'string' },
    stage: { type: 'string' },
    top: { type: 'string', default: '15' },
  },
});
if (positionals.length === 0 || !(Number(values.events) > 0)) {
  console.error(
    'usage: node --import tsx bench/where.ts <file.cpuprofile>… [--events N] [--alerts N] [--stage NAME [--top N]]',
  );
  process.exit(2);
}

function byOwner(file: string, profile: Profile, events: number, alerts: number): void {
  const totals = owners(profile);
  const us = (t: number) => (t / events).toFixed(2).padStart(7);
  const busy = [...totals].filter(([k]) => !APART.has(k)).reduce((n, [, t]) => n + t, 0);
  // With the window's alerts known, each line also says what it costs per alert.
  const perAlert = (t: number) => (alerts > 0 ? `${(t / alerts).toFixed(1).padStart(8)} µs/alert` : '');
  const line = (name: string, t: number) =>
    console.log(`${us(t)} µs  ${((100 * t) / busy).toFixed(1).padStart(5)}%${perAlert(t)}  ${name}`);
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

for (const file of positionals) {
  const profile = readProfile(file);
  const events = profile.bench?.events ?? Number(values.events);
  const alerts = profile.bench?.alerts ?? Number(values.alerts ?? 0);
  byOwner(file, profile, events, alerts);
  if (!(alerts > 0)) continue;
  const { rows, busyUsPerAlert } = stageRows(profile, events, alerts);
  console.log(
    `\n${basename(file)} by stage: ${busyUsPerAlert.toFixed(0)} µs of main-thread work per alert (${alerts} alerts, ${(events / alerts).toFixed(1)} events per alert; every event's cost is in it)`,
  );
  console.table(rows);
  if (values.stage !== undefined) insideStage(profile, values.stage, alerts, Number(values.top));
}

/** The functions a stage's time ran in, most first (a stage named by its start: `--stage decide`). */
function insideStage(profile: Profile, wanted: string, alerts: number, top: number): void {
  const names = [...STAGES, REST];
  const matching = names.includes(wanted)
    ? [wanted]
    : names.filter((s) => wanted !== '' && s.startsWith(wanted));
  if (matching.length !== 1 || !(top > 0)) {
    console.error(
      matching.length !== 1
        ? `${matching.length === 0 ? 'no stage' : 'more than one stage'} starts with ${JSON.stringify(wanted)}; the stages: ${names.join('; ')}`
        : '--top takes a number above 0',
    );
    process.exitCode = 2;
    return;
  }
  const stage = matching[0]!;
  const totals = [...stageFunctions(profile, stage)].sort((a, b) => b[1] - a[1]);
  const all = totals.reduce((n, [, t]) => n + t, 0);
  console.log(`\ninside "${stage}": ${(all / alerts).toFixed(1)} µs per alert, by the function running`);
  for (const [name, t] of totals.slice(0, top))
    console.log(
      `${(t / alerts).toFixed(2).padStart(8)} µs  ${((100 * t) / all).toFixed(1).padStart(5)}%  ${name}`,
    );
}
