import { describe, expect, it } from '@jest/globals';
import { readThreadCpu } from '../../bench/thread-cpu.js';

const mainCpu = () => [...(readThreadCpu()?.values() ?? [])].find((t) => t.kind === 'main')?.cpuUs ?? 0;

describe("the bench's per-thread CPU, read from /proc", () => {
  it("finds this process's main thread and the time it used", () => {
    if (process.platform !== 'linux') {
      expect(readThreadCpu()).toBeUndefined();
      return;
    }
    const before = mainCpu();
    // 100 ms of this thread's own CPU (threadCpuUsage counts the calling thread only).
    const until = process.threadCpuUsage().user + 100_000;
    while (process.threadCpuUsage().user < until);
    // Each of utime and stime is read in 10 ms ticks: at most 20 ms short.
    expect(mainCpu() - before).toBeGreaterThanOrEqual(70_000);
  });
});
