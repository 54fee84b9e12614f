/** Waiting for local Kafka nodes to answer: metadata listing the brokers wanted and a controller. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { Progress } from './kafka-jars.js';
import type { JvmExit } from './kafka-jvm.js';

export interface ReadyWanted {
  /** Every broker id that must be listed (registered and unfenced). */
  brokerIds: readonly number[];
  /** JVMs whose exit ends the wait at once. */
  exits: readonly Promise<JvmExit>[];
  timeoutMs: number;
  progress: Progress;
  /** TLS and SASL of the probe, for a node whose client port speaks SASL_SSL. */
  client?: { ssl: ConnectionOptions; sasl: SASLOptions };
}

/** Resolves once a metadata request through `bootstrap` lists every wanted broker and a controller. */
export async function waitUntilReady(bootstrap: string[], wanted: ReadyWanted): Promise<void> {
  let exit: JvmExit | undefined;
  for (const e of wanted.exits)
    void e.then((x) => {
      exit ??= x;
    });
  const deadline = Date.now() + wanted.timeoutMs;
  let lastReport = Date.now();
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exit) throw new Error(`the JVM exited early (${describeExit(exit)})`);
    const problem = await probe(bootstrap, wanted);
    if (problem === undefined) return;
    lastError = problem;
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      wanted.progress(`  still waiting for Kafka at ${bootstrap.join(',')} (${lastError})…`);
    }
    await sleep(250);
  }
  throw new Error(
    `no metadata answer from ${bootstrap.join(',')} within ${Math.round(wanted.timeoutMs / 1000)} s (${lastError})`,
  );
}

/** A JVM's exit in words; code 3 is -XX:+ExitOnOutOfMemoryError's. */
export function describeExit(exit: JvmExit): string {
  const what = `code ${exit.code}, signal ${exit.signal}`;
  return exit.code === 3 ? `${what}: out of memory, the heap is too small` : what;
}

/** undefined when ready, otherwise what is missing. */
async function probe(bootstrap: string[], wanted: ReadyWanted): Promise<string | undefined> {
  const { brokerIds } = wanted;
  const admin = new Kafka({
    clientId: 'login-alerts-broker-probe',
    brokers: bootstrap,
    ...wanted.client,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const listed = new Set(cluster.brokers.map((b) => b.nodeId));
    const missing = brokerIds.filter((id) => !listed.has(id));
    if (cluster.brokers.length === 0 || cluster.controller === null) {
      return 'metadata lists no broker or controller yet';
    }
    if (missing.length > 0) return `broker(s) ${missing.join(', ')} not registered yet`;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
