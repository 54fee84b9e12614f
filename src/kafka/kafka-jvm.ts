/**
 * Kafka's JVM as a child process: storage formatting, the server itself, its exit and its log. The JVM
 * is launched through `setpriv --pdeathsig TERM`, so it dies with the Node process that started it even
 * when that process is killed with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { KAFKA_DIR } from './kafka-jars.js';

const LOG4J_CONFIG = join(KAFKA_DIR, 'log4j2.properties');
const SETPRIV = '/usr/bin/setpriv';

export interface JvmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running Kafka JVM. */
export interface KafkaJvm {
  pid: number;
  /** Size of the log file when this JVM started: what it wrote begins there. */
  logStart: number;
  /** Settles when the JVM exits, for whatever reason. */
  exited: Promise<JvmExit>;
  alive(): boolean;
  /** SIGKILL, at once; resolves on exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Throws unless setpriv is there: without it a killed parent would leave the JVM running. */
export function requireSetpriv(): void {
  if (!existsSync(SETPRIV)) {
    throw new AppError(
      'BROKER_START_FAILED',
      `${SETPRIV} (util-linux) is required to start the local broker`,
    );
  }
}

/**
 * JVM options for a node whose logs go under `dataDir`. `small` is for several nodes on one machine:
 * one GC and compiler thread each and the client compiler only, which starts faster on a busy machine.
 */
export function jvmArgs(opts: { libDir: string; dataDir: string; heap: string; small?: boolean }): string[] {
  const small = opts.small
    ? ['-XX:ParallelGCThreads=1', '-XX:ConcGCThreads=1', '-XX:TieredStopAtLevel=1', '-XX:CICompilerCount=1']
    : [];
  return [
    `-Xmx${opts.heap}`,
    opts.small ? '-Xms64m' : '-Xms128m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    ...small,
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${join(opts.dataDir, 'logs')}`,
    '-cp',
    join(opts.libDir, '*'),
  ];
}

/** Formats a node's storage with `clusterId`, unless its log dirs already hold a formatted node. */
export async function formatStorage(p: {
  javaArgs: string[];
  clusterId: string;
  propsFile: string;
  logDirs: string;
  logFile: string;
  /** More StorageTool arguments, e.g. `--add-scram` for users that exist from the first start. */
  extraArgs?: readonly string[];
  progress?: (line: string) => void;
}): Promise<void> {
  if (existsSync(join(p.logDirs, 'meta.properties'))) return;
  p.progress?.(`Formatting broker storage in ${p.logDirs}…`);
  const log = await open(p.logFile, 'a');
  try {
    const args = [...p.javaArgs, 'kafka.tools.StorageTool', 'format', '-t', p.clusterId, '-c', p.propsFile];
    args.push(...(p.extraArgs ?? []));
    const { code, signal } = await exitOf(spawnJava(args, log.fd));
    if (code !== 0) {
      throw new AppError(
        'BROKER_START_FAILED',
        `kafka storage format failed (exit ${code ?? signal}); last lines of ${p.logFile}:\n${await tailOf(p.logFile)}`,
      );
    }
  } finally {
    await log.close();
  }
}

/** Starts `kafka.Kafka propsFile`, its output appended to `logFile`. */
export async function startKafkaJvm(
  javaArgs: string[],
  propsFile: string,
  logFile: string,
): Promise<KafkaJvm> {
  const log = await open(logFile, 'a');
  const logStart = (await log.stat()).size;
  const child = spawnJava([...javaArgs, 'kafka.Kafka', propsFile], log.fd);
  await log.close(); // the JVM holds its own copy of the descriptor
  const exited = exitOf(child);
  const pid = child.pid;
  if (pid === undefined) throw new AppError('BROKER_START_FAILED', 'java did not start (no pid)');
  const alive = () => child.exitCode === null && child.signalCode === null;
  // Belt and braces for a normal exit that forgot stop(); pdeathsig covers the abnormal ones.
  const killOnExit = () => {
    if (alive()) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return {
    pid,
    logStart,
    exited,
    alive,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 20_000) {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** True when the JVM's part of the log says a port was taken (worth another try on other ports). */
export async function portWasTaken(logFile: string, from: number): Promise<boolean> {
  const text = await tailOf(logFile, Number.POSITIVE_INFINITY, from, 1 << 20);
  return /BindException|Address already in use/.test(text);
}

function spawnJava(args: string[], logFd: number): ChildProcess {
  // setpriv execs java, so the child pid is the JVM's pid and the death signal is armed before Kafka starts.
  // Its own process group keeps a terminal's Ctrl-C away from it: the owner stops it, after its consumers.
  return spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', 'java', ...args], {
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
}

function exitOf(child: ChildProcess): Promise<JvmExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: child.exitCode ?? -1, signal: child.signalCode }));
  });
}

/** The last lines of a log file (written after byte `from`), for error messages. */
export async function tailOf(file: string, lines = 30, from = 0, maxBytes = 16_384): Promise<string> {
  try {
    const size = (await stat(file)).size;
    const handle = await open(file, 'r');
    try {
      const length = Math.max(0, Math.min(size - from, maxBytes));
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '(no log)';
  }
}
