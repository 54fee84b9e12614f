import { describe, expect, it } from '@jest/globals';
import { kindOf, parseTaskStat, type ThreadCpu, threadShares } from '../../bench/thread-cpu.js';

// A stat line as Linux writes it; utime and stime are the 14th and 15th fields of the whole line.
const stat = (comm: string, utime: number, stime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 2000 0 0 0 ${utime} ${stime} 0 0 20 0 7 0 100 1000000 5000`;
const reading = (threads: [string, ReturnType<typeof kindOf>, number][]): ThreadCpu =>
  new Map(threads.map(([tid, kind, cpuUs]) => [tid, { kind, cpuUs }]));

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
    const before = reading([
      ['1', 'main', 1_000],
      ['2', 'v8 helpers', 300],
      ['3', 'v8 helpers', 200],
    ]);
    const after = reading([
      ['1', 'main', 7_000],
      ['2', 'v8 helpers', 2_300],
      ['3', 'v8 helpers', 1_200],
      ['4', 'libuv pool', 1_000],
    ]);
    const shares = threadShares(before, after);
    expect(shares.main).toBeCloseTo(0.6);
    expect(shares['v8 helpers']).toBeCloseTo(0.3);
    expect(shares['libuv pool']).toBeCloseTo(0.1);
    expect(shares.other).toBe(0);
  });

  it('counts thread by thread: one that ended takes nothing of the others away', () => {
    // Thread 3 (5 s before the window) has ended; thread 2 used 1 s in the window.
    const before = reading([
      ['1', 'main', 1_000_000],
      ['2', 'v8 helpers', 0],
      ['3', 'v8 helpers', 5_000_000],
    ]);
    const after = reading([
      ['1', 'main', 4_000_000],
      ['2', 'v8 helpers', 1_000_000],
    ]);
    const shares = threadShares(before, after);
    expect(shares.main).toBeCloseTo(0.75);
    expect(shares['v8 helpers']).toBeCloseTo(0.25);
  });
});
