/**
 * A real single-node Apache Kafka broker (KRaft, broker + controller) for `login-alerts kafka`,
 * `login-alerts start` and the test harness, without Docker. local-cluster.ts starts several.
 *
 * The jars come from Maven Central through kafka/pom.xml, once, into a cache directory; later runs find a
 * marker file there and never invoke Maven. The JVM dies with the Node process that started it, even
 * when that process is killed with SIGKILL (see kafka-jvm.ts).
 */

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { clusterId, nodeProperties, type SecureListener } from './broker-config.js';
import { createOwnedDataDir, removeOrphanedDataDirs } from './broker-data-dirs.js';
import { type ReadyWanted, waitUntilReady } from './broker-ready.js';
import {
  type BrokerSecurity,
  checkSecurity,
  probeSecurity,
  scramFormatArgs,
  securityProperties,
  writeKeystore,
} from './broker-security.js';
import { ensureKafkaJars, type KafkaJarsOptions, type Progress, secondsSince } from './kafka-jars.js';
import {
  formatStorage,
  type JvmExit,
  jvmArgs,
  portWasTaken,
  requireSetpriv,
  startKafkaJvm,
  tailOf,
} from './kafka-jvm.js';
import { choosePort, freePort } from './ports.js';

export type { BrokerSecurity, ScramUser } from './broker-security.js';
export {
  ensureKafkaJars,
  type KafkaJars,
  type KafkaJarsOptions,
  kafkaHomeFromEnv,
  type Progress,
} from './kafka-jars.js';
export { tailOf } from './kafka-jvm.js';

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
  /** A SASL_SSL client listener on `port` (SCRAM-SHA-512 users made at format time); default PLAINTEXT. */
  security?: BrokerSecurity;
}

export interface LocalBroker {
  /** host:port for KAFKA_BROKERS (the SASL_SSL listener when `security` was given). */
  bootstrap: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** Process id of the broker JVM. */
  pid: number;
  version: string;
  /** Settles when the JVM exits, for whatever reason. */
  exited: Promise<JvmExit>;
  /** SIGTERM, wait for a clean exit (SIGKILL after a timeout), then remove a temp data directory. */
  stop(): Promise<void>;
}

/**
 * A temp data folder owned by this process, after removing those that killed runs left behind;
 * or `given`, kept as it is.
 */
export async function brokerDataDir(
  given: string | undefined,
  progress: Progress,
): Promise<{ dataDir: string; owned: boolean }> {
  if (given !== undefined) {
    await mkdir(given, { recursive: true });
    return { dataDir: given, owned: false };
  }
  const orphans = await removeOrphanedDataDirs(tmpdir());
  if (orphans.length > 0) progress(`removed ${orphans.length} data folder(s) left by killed runs`);
  return { dataDir: await createOwnedDataDir(tmpdir()), owned: true };
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
  probe: ReadyWanted['client'];
}

/** Starts the broker and resolves once it answers a metadata request. */
export async function startLocalBroker(opts: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const progress = opts.onProgress ?? (() => {});
  requireSetpriv();
  const jars = await ensureKafkaJars({ ...opts, onProgress: progress });
  const { dataDir, owned } = await brokerDataDir(opts.dataDir, progress);
  const setup: Launch = {
    version: jars.version,
    dataDir,
    ownsDataDir: owned,
    logFile: opts.logFile ?? join(dataDir, 'broker.log'),
    propsFile: join(dataDir, 'server.properties'),
    logDirs: join(dataDir, 'data'),
    javaArgs: jvmArgs({ libDir: jars.libDir, dataDir, heap: opts.heap ?? '512m' }),
    timeoutMs: opts.startTimeoutMs ?? 90_000,
    progress,
    probe: undefined,
  };
  const secure = opts.security ? await secureListener(opts.security, dataDir) : undefined;
  if (opts.security) setup.probe = probeSecurity(opts.security);

  // A port found free can be taken by another process before the JVM binds it (several test runs starting
  // brokers at once); with ports of our own choosing, pick again.
  const fixedPort = opts.port !== undefined && opts.port !== 0;
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(opts.port, DEFAULT_PORT);
    const controllerPort = await freePort();
    const self = { nodeId: 1, port, controllerPort };
    await writeFile(setup.propsFile, nodeProperties(self, [self], setup.logDirs, secure));
    // A kept --data-dir is formatted already; formatStorage leaves it.
    if (attempt === 1)
      await formatStorage({ ...setup, clusterId: clusterId(), extraArgs: scramFormatArgs(opts.security) });
    const outcome = await launch(setup, port);
    if (!('portTaken' in outcome)) return outcome;
    if (fixedPort || attempt >= 3) throw outcome.error;
    progress(`Port ${port} or ${controllerPort} was taken while Kafka started; trying other ports…`);
  }
}

/** The SASL_SSL listener's properties, its PEM keystore written into the data directory. */
export async function secureListener(security: BrokerSecurity, dataDir: string): Promise<SecureListener> {
  checkSecurity(security);
  const keystore = join(dataDir, 'keystore.pem');
  await writeKeystore(security, keystore);
  return { properties: securityProperties(security, keystore) };
}

/** Runs the JVM until it answers; a failure to bind its ports is reported, not thrown, so the caller can retry. */
async function launch(
  setup: Launch,
  port: number,
): Promise<LocalBroker | { portTaken: true; error: AppError }> {
  const { logFile, dataDir } = setup;
  const started = Date.now();
  setup.progress(`Starting Apache Kafka ${setup.version} on 127.0.0.1:${port} (log: ${logFile})…`);
  const jvm = await startKafkaJvm(setup.javaArgs, setup.propsFile, logFile);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await jvm.stop();
      if (setup.ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const bootstrap = `127.0.0.1:${port}`;
  try {
    await waitUntilReady([bootstrap], {
      brokerIds: [1],
      exits: [jvm.exited],
      timeoutMs: setup.timeoutMs,
      progress: setup.progress,
      client: setup.probe,
    });
  } catch (err) {
    await jvm.kill();
    // Keep the data directory: the log in it is the evidence.
    const tail = await tailOf(logFile, 30, jvm.logStart);
    const reason = err instanceof Error ? err.message : String(err);
    const error = new AppError(
      'BROKER_START_FAILED',
      `Kafka did not become ready: ${reason}\nlast lines of ${logFile}:\n${tail}`,
      { cause: err },
    );
    if (await portWasTaken(logFile, jvm.logStart)) return { portTaken: true, error };
    throw error;
  }
  setup.progress(`Kafka ${setup.version} ready at ${bootstrap} after ${secondsSince(started)} s`);
  const { pid, exited } = jvm;
  return { bootstrap, port, dataDir, logFile, pid, version: setup.version, exited, stop };
}
