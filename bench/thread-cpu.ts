/**
 * The process's CPU time by kind of thread, from Linux's /proc/self/task/<tid>/stat: the main
 * thread (where the JavaScript runs, and what a window profile samples), V8's helper threads (the
 * parallel scavenger, concurrent marking and sweeping, the optimising compilers), libuv's pool (file
 * writes, DNS lookups) and the rest (a CPU profiler's own thread among them). A window profile sees
 * the main thread only; this shows what it leaves out. Elsewhere than Linux there is no such file:
 * `readThreadCpu` answers undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_KINDS = ['main', 'v8 helpers', 'libuv pool', 'other'] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];
/** Each live thread's kind and the CPU µs (user and system) it has used, by thread id. */
export type ThreadCpu = Map<string, { kind: ThreadKind; cpuUs: number }>;
/** Each kind's fraction (0–1) of the CPU the process's threads used between two readings. */
export type ThreadShares = Record<ThreadKind, number>;

/** Linux's clock ticks per second for these counters (USER_HZ: 100 on x86 and arm64). */
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

/** What every live thread of this process has used so far; undefined where /proc is not. */
export function readThreadCpu(): ThreadCpu | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const out: ThreadCpu = new Map();
  for (const tid of tids) {
    let stat: ReturnType<typeof parseTaskStat>;
    try {
      stat = parseTaskStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread ended between the listing and the read
    }
    if (stat) out.set(tid, { kind: kindOf(stat.comm), cpuUs: stat.cpuUs });
  }
  return out;
}

/**
 * Each kind's share of the CPU used between two readings, thread by thread: a thread started in
 * between counts from zero; one that ended in between is missing from `after`, and so is what it
 * used in the window.
 */
export function threadShares(before: ThreadCpu, after: ThreadCpu): ThreadShares {
  const used: ThreadShares = { main: 0, 'v8 helpers': 0, 'libuv pool': 0, other: 0 };
  for (const [tid, now] of after) used[now.kind] += Math.max(0, now.cpuUs - (before.get(tid)?.cpuUs ?? 0));
  const total = THREAD_KINDS.reduce((sum, k) => sum + used[k], 0);
  for (const k of THREAD_KINDS) used[k] = total > 0 ? used[k] / total : 0;
  return used;
}
