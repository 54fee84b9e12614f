/**
 * What the garbage collector works on: `node --import tsx bench/allocations.ts <file.heapprofile>…
 * [--top N]` reads the sampling heap profiles `BENCH_HEAP_PROF=<dir> npm run bench` wrote (every
 * allocation of the measured window, freed or not) and prints, per profile, the bytes allocated per
 * alert (per event for a window without alerts) by owner (the same owners as bench/where.ts:
 * libraries, our code by directory) and the allocation sites that allocate most. Bytes are the
 * sampler's estimate (one sample per 1 KB allocated on average). A profile written with
 * BENCH_HEAP_SURVIVORS=1 holds only what no scavenge collected (young objects a mark-compact freed
 * included, see bench/profile-window.ts), and is titled so.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { ownerOf } from './profile-views.js';

interface HeapNode {
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    scriptId: string;
    columnNumber: number;
  };
  selfSize: number;
  children: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
  /** `survivors`: written with BENCH_HEAP_SURVIVORS=1, what scavenges collected left out. */
  bench?: { events?: number; alerts?: number; survivors?: boolean };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
if (positionals.length === 0) {
  console.error('usage: node --import tsx bench/allocations.ts <file.heapprofile>… [--top N]');
  process.exit(2);
}

const site = ({ functionName, url, lineNumber }: HeapNode['callFrame']) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*?\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}`;

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
  // Per alert where the window had alerts, per event where it had none (the bare consumers).
  const [count, unit] = profile.bench?.alerts
    ? [profile.bench.alerts, 'alert']
    : profile.bench?.events
      ? [profile.bench.events, 'event']
      : [1, 'window'];
  const byOwner = new Map<string, number>();
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, inherited: string) => {
    const owner = ownerOf(node.callFrame) ?? inherited;
    if (node.selfSize > 0) {
      total += node.selfSize;
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + node.selfSize);
      const where = site(node.callFrame);
      bySite.set(where, (bySite.get(where) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, owner);
  };
  walk(profile.head, 'node internals');
  const kb = (bytes: number) => (bytes / count / 1024).toFixed(1).padStart(7);
  const pct = (bytes: number) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%`;
  const what = profile.bench?.survivors ? 'that no scavenge collected' : 'allocated';
  console.log(`\n${basename(file)}: ${kb(total).trim()} KB ${what} per ${unit} (${count} ${unit}s)`);
  console.log('  by owner:');
  for (const [owner, bytes] of [...byOwner].sort((a, b) => b[1] - a[1]))
    console.log(`${kb(bytes)} KB ${pct(bytes)}  ${owner}`);
  console.log('  by site:');
  for (const [where, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${kb(bytes)} KB ${pct(bytes)}  ${where}`);
}
