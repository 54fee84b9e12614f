/**
 * A real single-node Apache Kafka broker (KRaft, broker + controller) for `login-alerts kafka`,
 * `login-alerts start` and the test harness, without Docker.
 *
 * The jars come from Maven Central through kafka/pom.xml, once, into a cache directory; later runs find a
 * marker file there and never invoke Maven. The JVM is launched through `setpriv --pdeathsig TERM`, so it
 * dies with the Node process that started it even when that process is killed with SIGKILL.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { AppError } from '../errors.js';
import { createOwnedDataDir, removeOrphanedDataDirs } from './broker-data-dirs.js';
import {
  ensureKafkaJars,
  KAFKA_DIR,
  type KafkaJarsOptions,
  type Progress,
  secondsSince,
} from './kafka-jars.js';

export {
  ensureKafkaJars,
  type KafkaJars,
  type KafkaJarsOptions,
  kafkaHomeFromEnv,
  type Progress,
} from './kafka-jars.js';

const LOG4J_CONFIG = join(KAFKA_DIR, 'log4j2.properties');
const SETPRIV = '/usr/bin/setpriv';
const DEFAULT_PORT = 9092;

export interface LocalBrokerOptions extends KafkaJarsOptions {
  /** Client port; default 9092 when free, otherwise any free port. An explicit port must be free. */
  port?: number;
  /** Broker data directory; default a fresh temp directory, removed again by stop(). */
  dataDir?: string;
  /** Where the JVM's stdout/stderr go; default <dataDir>/broker.log. */
  logFile?: string;
  /** Milliseconds to wait for the broker to answer a metadata request; default 90 000. */
  startTimeoutMs?: number;
  /** Maximum heap; default 512m. */
  heap?: string;
}

export interface LocalBroker {
  /** host:port for KAFKA_BROKERS. */
  bootstrap: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** Process id of the broker JVM. */
  pid: number;
  version: string;
  /** Settles when the JVM exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, wait for a clean exit (SIGKILL after a timeout), then remove a temp data directory. */
  stop(): Promise<void>;
}

/** Starts the broker and resolves once it answers a metadata request. */
export async function startLocalBroker(opts: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const progress = opts.onProgress ?? (() => {});
  if (!existsSync(SETPRIV)) {
    // Without it a killed parent would leave the JVM running; refuse rather than risk an orphan.
    throw new AppError(
      'BROKER_START_FAILED',
      `${SETPRIV} (util-linux) is required to start the local broker`,
    );
  }
  const jars = await ensureKafkaJars({ ...opts, onProgress: progress });

  const ownsDataDir = opts.dataDir === undefined;
  if (ownsDataDir) {
    const orphans = await removeOrphanedDataDirs(tmpdir());
    if (orphans.length > 0) progress(`removed ${orphans.length} data folder(s) left by killed runs`);
  }
  const dataDir = opts.dataDir ?? (await createOwnedDataDir(tmpdir()));
  await mkdir(dataDir, { recursive: true });
  const setup: Launch = {
    version: jars.version,
    dataDir,
    ownsDataDir,
    logFile: opts.logFile ?? join(dataDir, 'broker.log'),
    propsFile: join(dataDir, 'server.properties'),
    logDirs: join(dataDir, 'data'),
    javaArgs: [
      `-Xmx${opts.heap ?? '512m'}`,
      '-Xms128m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
      `-Dkafka.logs.dir=${join(dataDir, 'logs')}`,
      '-cp',
      join(jars.libDir, '*'),
    ],
    timeoutMs: opts.startTimeoutMs ?? 90_000,
    progress,
  };

  // A port found free can be taken by another process before the JVM binds it (several test runs starting
  // brokers at once); with ports of our own choosing, pick again.
  const fixedPort = opts.port !== undefined && opts.port !== 0;
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(opts.port);
    const controllerPort = await freePort();
    await writeFile(setup.propsFile, serverProperties({ port, controllerPort, logDirs: setup.logDirs }));
    if (attempt === 1) await formatStorage(setup);
    const outcome = await launch(setup, port);
    if (!('portTaken' in outcome)) return outcome;
    if (fixedPort || attempt >= 3) throw outcome.error;
    progress(`Port ${port} or ${controllerPort} was taken while Kafka started; trying other ports…`);
  }
}

interface Launch {
  version: string;
  dataDir: string;
  ownsDataDir: boolean;
  logFile: string;
  propsFile: string;
  logDirs: string;
  javaArgs: string[];
  timeoutMs: number;
  progress: Progress;
}

async function formatStorage(setup: Launch): Promise<void> {
  if (existsSync(join(setup.logDirs, 'meta.properties'))) return; // a kept --data-dir: already formatted
  setup.progress(`Formatting broker storage in ${setup.logDirs}…`);
  const log = await open(setup.logFile, 'a');
  try {
    const format = spawnJava(
      [...setup.javaArgs, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', setup.propsFile],
      log.fd,
    );
    const { code, signal } = await exitOf(format);
    if (code !== 0) {
      throw new AppError(
        'BROKER_START_FAILED',
        `kafka storage format failed (exit ${code ?? signal}); last lines of ${setup.logFile}:\n${await tailOf(setup.logFile)}`,
      );
    }
  } finally {
    await log.close();
  }
}

/** Runs the JVM until it answers; a failure to bind its ports is reported, not thrown, so the caller can retry. */
async function launch(
  setup: Launch,
  port: number,
): Promise<LocalBroker | { portTaken: true; error: AppError }> {
  const { logFile, dataDir } = setup;
  const started = Date.now();
  setup.progress(`Starting Apache Kafka ${setup.version} on 127.0.0.1:${port} (log: ${logFile})…`);
  const log = await open(logFile, 'a');
  const logStart = (await log.stat()).size;
  const child = spawnJava([...setup.javaArgs, 'kafka.Kafka', setup.propsFile], log.fd);
  await log.close(); // the JVM holds its own copy of the descriptor
  const exited = exitOf(child);
  const pid = child.pid;
  if (pid === undefined) throw new AppError('BROKER_START_FAILED', 'java did not start (no pid)');

  // Belt and braces for a normal exit that forgot stop(); pdeathsig covers the abnormal ones.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      if (setup.ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const bootstrap = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(bootstrap, exited, setup.timeoutMs, setup.progress);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killOnExit);
    // Keep the data directory: the log in it is the evidence.
    const tail = await tailOf(logFile, 30, logStart);
    const reason = err instanceof Error ? err.message : String(err);
    const error = new AppError(
      'BROKER_START_FAILED',
      `Kafka did not become ready: ${reason}\nlast lines of ${logFile}:\n${tail}`,
      { cause: err },
    );
    const newLog = await tailOf(logFile, Number.POSITIVE_INFINITY, logStart, 1 << 20);
    if (/BindException|Address already in use/.test(newLog)) return { portTaken: true, error };
    throw error;
  }
  setup.progress(`Kafka ${setup.version} ready at ${bootstrap} after ${secondsSince(started)} s`);
  return { bootstrap, port, dataDir, logFile, pid, version: setup.version, exited, stop };
}

function serverProperties(p: { port: number; controllerPort: number; logDirs: string }): string {
  return `${[
    '# Written by src/kafka/local-broker.ts: a single KRaft node for development and tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${p.logDirs}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // One broker: internal topics must not ask for replicas that cannot exist, or groups never find a coordinator.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests and the dev loop want groups to form at once, and topics to exist only when created on purpose.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
  ].join('\n')}\n`;
}

function spawnJava(args: string[], logFd: number): ChildProcess {
  // setpriv execs java, so the child pid is the JVM's pid and the death signal is armed before Kafka starts.
  // Its own process group keeps a terminal's Ctrl-C away from it: the owner stops it, after its consumers.
  return spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', 'java', ...args], {
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: child.exitCode ?? -1, signal: child.signalCode }));
  });
}

async function waitUntilReady(
  bootstrap: string,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
  progress: Progress,
): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exit) throw new Error(`the JVM exited early (code ${exit.code}, signal ${exit.signal})`);
    const admin = new Kafka({
      clientId: 'login-alerts-broker-probe',
      brokers: [bootstrap],
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = 'metadata lists no broker or controller yet';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      progress(`  still waiting for Kafka at ${bootstrap} (${lastError})…`);
    }
    await sleep(250);
  }
  throw new Error(
    `no metadata answer from ${bootstrap} within ${Math.round(timeoutMs / 1000)} s (${lastError})`,
  );
}

async function choosePort(requested: number | undefined): Promise<number> {
  if (requested !== undefined && requested !== 0) {
    if (!(await portIsFree(requested))) {
      throw new AppError('BROKER_START_FAILED', `port ${requested} on 127.0.0.1 is already in use`);
    }
    return requested;
  }
  if (requested === undefined && (await portIsFree(DEFAULT_PORT))) return DEFAULT_PORT;
  return freePort();
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding, as `StorageTool random-uuid` prints.
 * Made here to spare a JVM start; Kafka rejects ids starting with '-', so those are drawn again.
 */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
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
