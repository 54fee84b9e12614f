/**
 * BENCH_CPU_PROF=<dir>: a V8 CPU profile of exactly the measured window of a bench child (from its
 * first event to its last), not its start-up, written as `<dir>/<name>-<pid>.cpuprofile`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export interface WindowProfile {
  start(): void;
  stop(): Promise<string | undefined>;
}

export function windowProfile(name: string, dir = process.env.BENCH_CPU_PROF?.trim()): WindowProfile {
  if (!dir) return { start() {}, stop: async () => undefined };
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
    async stop() {
      if (!started) return undefined;
      await started;
      const { profile } = await session.post('Profiler.stop');
      const file = join(dir, `${name}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return file;
    },
  };
}
