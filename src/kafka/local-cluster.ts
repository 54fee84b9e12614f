/**
 * A local Apache Kafka cluster of several KRaft nodes, each broker and controller (a combined quorum
 * of static voters), for tests of replication and failover. With three nodes any one can die and the
 * other two keep the metadata quorum, the partition leaders and acks=all writes (min.insync 2).
 * Every JVM is small, dies with the Node process that started it, and keeps its data in one temp folder.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { clusterId, type NodeAddress, nodeProperties } from './broker-config.js';
import { type ReadyWanted, waitUntilReady } from './broker-ready.js';
import { type BrokerSecurity, probeSecurity, scramFormatArgs } from './broker-security.js';
import { ensureKafkaJars, type KafkaJarsOptions, type Progress, secondsSince } from './kafka-jars.js';
import {
  formatStorage,
  jvmArgs,
  type KafkaJvm,
  portWasTaken,
  requireSetpriv,
  startKafkaJvm,
  tailOf,
} from './kafka-jvm.js';
import { brokerDataDir, secureListener } from './local-broker.js';
import { freePorts } from './ports.js';

export interface LocalClusterOptions extends KafkaJarsOptions {
  /** Nodes in the quorum; default 3. */
  nodes?: number;
  /** Maximum heap of each node; default 256m. */
  heap?: string;
  /** Milliseconds to wait for every node to be registered; default 120 000. */
  startTimeoutMs?: number;
  /** Every node's client port speaks SASL_SSL (one certificate for all: 127.0.0.1); default PLAINTEXT. */
  security?: BrokerSecurity;
}

export interface ClusterNode {
  nodeId: number;
  /** host:port of this node's client listener. */
  bootstrap: string;
  dataDir: string;
  logFile: string;
  /** Process id of the running JVM; undefined while the node is down. */
  pid(): number | undefined;
  alive(): boolean;
}

export interface LocalCluster {
  /** Every node's host:port, for KAFKA_BROKERS. */
  brokers: string[];
  nodes: readonly ClusterNode[];
  version: string;
  /** SIGKILL one node and wait for its exit. */
  kill(nodeId: number): Promise<void>;
  /** Starts a node that is down again (same ports and data); resolves once it is registered. */
  restart(nodeId: number): Promise<void>;
  /** Kills every node and removes the data folder: its data is thrown away, so no clean shutdown is owed. */
  stop(): Promise<void>;
}

interface Node extends NodeAddress {
  dataDir: string;
  logFile: string;
  propsFile: string;
  logDirs: string;
  jvm?: KafkaJvm;
}

interface Setup {
  nodes: Node[];
  javaArgs: (node: Node) => string[];
  timeoutMs: number;
  progress: Progress;
  security: BrokerSecurity | undefined;
  probe: ReadyWanted['client'];
}

/** Starts the nodes and resolves once metadata lists every one of them and a controller. */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const progress = opts.onProgress ?? (() => {});
  const count = opts.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) {
    throw new AppError('BROKER_START_FAILED', `a cluster needs at least one node, got ${count}`);
  }
  requireSetpriv();
  const jars = await ensureKafkaJars({ ...opts, onProgress: progress });
  const { dataDir } = await brokerDataDir(undefined, progress);
  const heap = opts.heap ?? '256m';
  const setup: Setup = {
    nodes: Array.from({ length: count }, (_, i) => nodeIn(dataDir, i + 1)),
    javaArgs: (node) => jvmArgs({ libDir: jars.libDir, dataDir: node.dataDir, heap, small: true }),
    timeoutMs: opts.startTimeoutMs ?? 120_000,
    progress,
    security: opts.security,
    probe: opts.security ? probeSecurity(opts.security) : undefined,
  };
  const started = Date.now();
  const id = clusterId();
  try {
    await startAll(setup, id);
  } catch (err) {
    await Promise.all(setup.nodes.map((n) => n.jvm?.kill()));
    throw err;
  }
  progress(`Kafka ${jars.version} cluster of ${count} ready after ${secondsSince(started)} s`);
  return clusterHandle(setup, jars.version, dataDir);
}

function nodeIn(root: string, nodeId: number): Node {
  const dataDir = join(root, `node-${nodeId}`);
  return {
    nodeId,
    port: 0,
    controllerPort: 0,
    dataDir,
    logFile: join(dataDir, 'broker.log'),
    propsFile: join(dataDir, 'server.properties'),
    logDirs: join(dataDir, 'data'),
  };
}

/** Formats and starts every node; ports that another process took meanwhile are chosen again. */
async function startAll(setup: Setup, id: string): Promise<void> {
  const { nodes } = setup;
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(nodes.length * 2);
    for (const [i, node] of nodes.entries()) {
      node.port = ports[2 * i]!;
      node.controllerPort = ports[2 * i + 1]!;
    }
    await Promise.all(
      nodes.map(async (node) => {
        await mkdir(node.dataDir, { recursive: true });
        const secure = setup.security ? await secureListener(setup.security, node.dataDir) : undefined;
        await writeFile(node.propsFile, nodeProperties(node, nodes, node.logDirs, secure));
        const extraArgs = scramFormatArgs(setup.security);
        await formatStorage({ ...node, javaArgs: setup.javaArgs(node), clusterId: id, extraArgs });
      }),
    );
    setup.progress(`Starting ${nodes.length} Kafka nodes on ${nodes.map((n) => n.port).join(', ')}…`);
    for (const node of nodes)
      node.jvm = await startKafkaJvm(setup.javaArgs(node), node.propsFile, node.logFile);
    try {
      await waitForNodes(setup, nodes);
      return;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.jvm?.kill()));
      const taken = await Promise.all(nodes.map((n) => portWasTaken(n.logFile, n.jvm?.logStart ?? 0)));
      if (!taken.some(Boolean) || attempt >= 3) throw await startError(err, nodes);
      setup.progress('A port was taken while Kafka started; trying other ports…');
    }
  }
}

/**
 * Waits until metadata asked of `starting` lists every node and a controller, giving up when one of
 * them exits. Only the starting nodes are asked: the others may still list a node just killed.
 */
function waitForNodes(setup: Setup, starting: readonly Node[]): Promise<void> {
  return waitUntilReady(
    starting.map((n) => `127.0.0.1:${n.port}`),
    {
      brokerIds: setup.nodes.map((n) => n.nodeId),
      exits: starting.flatMap((n) => (n.jvm ? [n.jvm.exited] : [])),
      timeoutMs: setup.timeoutMs,
      progress: setup.progress,
      client: setup.probe,
    },
  );
}

async function startError(err: unknown, nodes: readonly Node[]): Promise<AppError> {
  const tails = await Promise.all(
    nodes.map(
      async (n) => `--- node ${n.nodeId} (${n.logFile}):\n${await tailOf(n.logFile, 15, n.jvm?.logStart)}`,
    ),
  );
  const reason = err instanceof Error ? err.message : String(err);
  return new AppError(
    'BROKER_START_FAILED',
    `Kafka cluster did not become ready: ${reason}\n${tails.join('\n')}`,
    {
      cause: err,
    },
  );
}

function clusterHandle(setup: Setup, version: string, dataDir: string): LocalCluster {
  const { nodes } = setup;
  const find = (nodeId: number): Node => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new AppError('BROKER_START_FAILED', `no node ${nodeId} in this cluster`);
    return node;
  };
  let stopping: Promise<void> | undefined;
  return {
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`),
    nodes: nodes.map((n) => ({
      nodeId: n.nodeId,
      bootstrap: `127.0.0.1:${n.port}`,
      dataDir: n.dataDir,
      logFile: n.logFile,
      pid: () => (n.jvm?.alive() ? n.jvm.pid : undefined),
      alive: () => n.jvm?.alive() ?? false,
    })),
    version,
    kill: async (nodeId) => find(nodeId).jvm?.kill(),
    async restart(nodeId) {
      const node = find(nodeId);
      if (node.jvm?.alive()) throw new AppError('BROKER_START_FAILED', `node ${nodeId} is running`);
      node.jvm = await startKafkaJvm(setup.javaArgs(node), node.propsFile, node.logFile);
      try {
        await waitForNodes(setup, [node]);
      } catch (err) {
        await node.jvm.kill();
        throw await startError(err, [node]);
      }
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(nodes.map((n) => n.jvm?.kill()));
        await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
