import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (bound then released; fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  /** milliseconds from spawn to the first HTTP answer */
  readonly startupMs: number;
  /** recent output, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last line of defence against orphans if a test run ends without calling stop().
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole group: the server and anything it forked
  } catch {
    child.kill(signal);
  }
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
  const child = spawn(process.execPath, [opts.script, ...opts.args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  live.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));

  const stop = async () => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = started + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${opts.name} exited during start-up (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    try {
      await fetch(opts.url, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `${opts.name} did not answer on ${opts.url} within ${opts.timeoutMs ?? 30_000} ms:\n${log}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: opts.url.replace(/\/+$/, ''),
    pid: child.pid ?? -1,
    startupMs: Date.now() - started,
    output: () => log,
    stop,
  };
}
