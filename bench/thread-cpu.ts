/**
 * The process's CPU time by kind of thread, from Linux's /proc/self/task/<tid>/stat: the main
 * thread (where the JavaScript runs, and what a window profile samples), V8's helper threads (the
 * parallel scavenger, concurrent marking and sweeping, the optimising compilers), libuv's pool (file
 * writes, DNS lookups) and the rest. A window profile sees the main thread only; this shows what it
 * leaves out. Elsewhere than Linux there is no such file: `readThreadCpu` answers undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_KINDS = ['main', 'v8 helpers', 'libuv pool', 'other'] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];
/** µs of CPU (user and system) per kind of thread. */
export type ThreadCpu = Record<ThreadKind, number>;

/** Linux's clock ticks per second for these counters (USER_HZ, 100 on every current kernel). */
const TICKS_PER_S = 100;

/** Node names its threads: node-MainThread, node-V8Worker, libuv-worker; other names are "other". */
export function kindOf(comm: string): ThreadKind {
  if (comm === 'node-MainThread' || comm === 'node') return 'main';
  if (comm.startsWith('node-V8Worker')) return 'v8 helpers';
  if (comm.startsWith('libuv-worker')) return 'libuv pool';
  return 'other';
}

/**
 * One task's name and CPU µs (user + system) from its stat line. The name is between the first "("
 * and the last ")" (it may hold either), and the fields after it are counted from there:
 * utime and stime are the 12th and 13th.
 */
export function parseTaskStat(line: string): { comm: string; cpuUs: number } | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = line.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { comm: line.slice(open + 1, close), cpuUs: ((utime + stime) * 1e6) / TICKS_PER_S };
}

/** The CPU every live thread of this process has used so far, by kind; undefined where /proc is not. */
export function readThreadCpu(): ThreadCpu | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const out: ThreadCpu = { main: 0, 'v8 helpers': 0, 'libuv pool': 0, other: 0 };
  for (const tid of tids) {
    let stat: ReturnType<typeof parseTaskStat>;
    try {
      stat = parseTaskStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread ended between the listing and the read
    }
    if (stat) out[kindOf(stat.comm)] += stat.cpuUs;
  }
  return out;
}

/** Each kind's share of the CPU used between two readings (a thread that ended in between is lost). */
export function threadShares(before: ThreadCpu, after: ThreadCpu): ThreadCpu {
  const used = THREAD_KINDS.map((k) => Math.max(0, after[k] - before[k]));
  const total = used.reduce((a, b) => a + b, 0);
  const out = { main: 0, 'v8 helpers': 0, 'libuv pool': 0, other: 0 };
  THREAD_KINDS.forEach((k, i) => {
    out[k] = total > 0 ? used[i]! / total : 0;
  });
  return out;
}
