/**
 * Child processes for tests: each in its own process group, so a stop or kill reaches whatever it
 * forked too, and all killed when the test process exits (no orphans after a failed run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

const ROOT = new URL('../../', import.meta.url).pathname;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

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

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  alive(): boolean;
  /** the tail of stdout and stderr, for failure messages */
  output(): string;
  /** SIGKILL the process group and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after `graceMs`) and wait for the exit. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `command args` in its own process group (cwd: the repository), keeping its output's tail. */
export function spawnProc(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  keepChars = 200_000,
): Proc {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd: ROOT });
  live.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-keepChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid ?? -1,
    child,
    exited,
    alive,
    output: () => log,
    async kill() {
      killGroup(child, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every child started through this module that is still running, and waits for them. */
export async function killAllChildren(): Promise<void> {
  const children = [...live];
  for (const child of children) killGroup(child, 'SIGKILL');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) =>
          c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()),
        ),
    ),
  );
}
