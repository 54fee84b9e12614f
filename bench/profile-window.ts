/**
 * BENCH_CPU_PROF=<dir>: a V8 CPU profile of exactly the measured window of a bench child (from its
 * first event to its last), not its start-up, written as `<dir>/<name>-<pid>.cpuprofile`. BENCH_LABEL
 * (the bench parent sets the mix) is put before the name. The directory is made when missing.
 *
 * BENCH_HEAP_PROF=<dir>: a sampling heap profile of the same window, every allocation counted
 * whether or not a collection has freed it by the end (so it shows what the garbage collector
 * works on), written as `<dir>/<name>-<pid>.heapprofile`; `npm run bench:allocations` reads it.
 * With BENCH_HEAP_SURVIVORS=1 it leaves out whatever a scavenge collected, even after copying it
 * once: what is left was promoted to the old generation, allocated straight into it, still young
 * when the window ended, or freed young by a mark-compact (V8 drops or keeps a sample according to
 * which collector freed its object, and a mark-compact frees the young generation too). So a site's
 * figure is an upper bound of what it promotes; `--trace-gc-nvp` counts the promoted bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export interface WindowProfile {
  start(): void;
  /**
   * Stops and writes the profile, with what `meta` returns (what the window measured; called once
   * the profiler has stopped, so its work is not in the profile) as its `bench` field; a heap
   * profile's `bench` also says whether it holds survivors only.
   */
  stop(meta?: () => { events?: number; alerts?: number }): Promise<string | undefined>;
}

export function windowProfile(
  name: string,
  dir = process.env.BENCH_CPU_PROF?.trim(),
  heapDir = process.env.BENCH_HEAP_PROF?.trim(),
): WindowProfile {
  if (heapDir) return heapWindow(name, heapDir);
  if (!dir || dir === 'off') return { start() {}, stop: async () => undefined };
  const session = new Session();
  session.connect();
  let started: Promise<unknown> | undefined;
  return {
    start() {
      started ??= session
        .post('Profiler.enable')
        .then(() => session.post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => session.post('Profiler.start'));
    },
    async stop(meta) {
      if (!started) return undefined;
      await started;
      const { profile } = await session.post('Profiler.stop');
      const file = profileFile(dir, name, 'cpuprofile');
      writeFileSync(file, JSON.stringify(meta ? { ...profile, bench: meta() } : profile));
      session.disconnect();
      return file;
    },
  };
}

function profileFile(dir: string, name: string, extension: string): string {
  const label = process.env.BENCH_LABEL?.trim();
  mkdirSync(dir, { recursive: true });
  return join(dir, `${label ? `${label}-` : ''}${name}-${process.pid}.${extension}`);
}

function heapWindow(name: string, dir: string): WindowProfile {
  const survivors = process.env.BENCH_HEAP_SURVIVORS?.trim() === '1';
  const session = new Session();
  session.connect();
  let started: Promise<unknown> | undefined;
  return {
    start() {
      started ??= session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !survivors,
      });
    },
    async stop(meta) {
      if (!started) return undefined;
      await started;
      const { profile } = await session.post('HeapProfiler.stopSampling');
      const file = profileFile(dir, name, 'heapprofile');
      writeFileSync(file, JSON.stringify({ ...profile, bench: { ...meta?.(), survivors } }));
      session.disconnect();
      return file;
    },
  };
}
