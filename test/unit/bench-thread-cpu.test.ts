import { describe, expect, it } from '@jest/globals';
import { kindOf, parseTaskStat, readThreadCpu, threadShares } from '../../bench/thread-cpu.js';

// A stat line as Linux writes it; utime and stime are the 14th and 15th fields of the whole line.
const stat = (comm: string, utime: number, stime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 2000 0 0 0 ${utime} ${stime} 0 0 20 0 7 0 100 1000000 5000`;

describe('per-thread CPU (bench)', () => {
  it('reads utime and stime after the name, in µs of 10 ms ticks', () => {
    expect(parseTaskStat(stat('node-MainThread', 250, 50))).toEqual({
      comm: 'node-MainThread',
      cpuUs: 3_000_000,
    });
  });

  it('takes the name up to the last parenthesis, so a name holding ") " does not shift the fields', () => {
    expect(parseTaskStat(stat('a) S 9 (b', 7, 3))).toEqual({ comm: 'a) S 9 (b', cpuUs: 100_000 });
  });

  it('answers undefined for a line it cannot read', () => {
    expect(parseTaskStat('no parentheses here')).toBeUndefined();
    expect(parseTaskStat('1 (x) S 1 2')).toBeUndefined();
  });

  it("sorts Node's thread names into kinds", () => {
    expect(kindOf('node-MainThread')).toBe('main');
    expect(kindOf('node-V8Worker')).toBe('v8 helpers');
    expect(kindOf('libuv-worker')).toBe('libuv pool');
    expect(kindOf('SignalInspector')).toBe('other');
  });

  it('gives each kind its share of the CPU used between two readings', () => {
    const before = { main: 1_000, 'v8 helpers': 500, 'libuv pool': 0, other: 0 };
    const after = { main: 7_000, 'v8 helpers': 3_500, 'libuv pool': 1_000, other: 0 };
    const shares = threadShares(before, after);
    expect(shares.main).toBeCloseTo(0.6);
    expect(shares['v8 helpers']).toBeCloseTo(0.3);
    expect(shares['libuv pool']).toBeCloseTo(0.1);
    expect(shares.other).toBe(0);
  });

  it("reads this process's threads on Linux, the main thread's time included", () => {
    if (process.platform !== 'linux') {
      expect(readThreadCpu()).toBeUndefined();
      return;
    }
    const before = readThreadCpu()!;
    const until = process.cpuUsage().user + 60_000;
    while (process.cpuUsage().user < until); // 60 ms of work on this thread
    const after = readThreadCpu()!;
    expect(after.main - before.main).toBeGreaterThanOrEqual(30_000);
  });
});
