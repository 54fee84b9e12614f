import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, spawnProc } from './processes.js';

export { freePort };

export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  /** milliseconds from spawn to the first HTTP answer */
  readonly startupMs: number;
  /** recent output, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node <script> ...args` in its own process group and resolves once `url` answers any
 * HTTP request; rejects (and kills the child) if it exits first or `timeoutMs` passes.
 */
export async function startChildServer(opts: {
  name: string;
  script: string;
  args: string[];
  url: string;
  timeoutMs?: number;
}): Promise<ChildServer> {
  const started = Date.now();
  const proc = spawnProc(
    opts.name,
    process.execPath,
    [opts.script, ...opts.args],
    { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    8_000,
  );
  const stop = () => proc.stop(3_000);

  const deadline = started + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (!proc.alive()) {
      throw new Error(
        `${opts.name} exited during start-up (${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.output()}`,
      );
    }
    try {
      await fetch(opts.url, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `${opts.name} did not answer on ${opts.url} within ${opts.timeoutMs ?? 30_000} ms:\n${proc.output()}`,
        );
      }
      await sleep(100);
    }
  }
  return {
    url: opts.url.replace(/\/+$/, ''),
    pid: proc.pid,
    startupMs: Date.now() - started,
    output: proc.output,
    stop,
  };
}
