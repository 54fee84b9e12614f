/**
 * The server.properties of the local Kafka nodes: one combined broker+controller alone, or one voter of
 * a combined quorum (every node broker and controller, static `controller.quorum.voters`).
 */
import { randomBytes } from 'node:crypto';

/** One node's address book: its id and ports, and every voter's controller port. */
export interface NodeAddress {
  nodeId: number;
  port: number;
  controllerPort: number;
}

/** The SASL_SSL client listener of a node (broker-security.ts writes its lines). */
export interface SecureListener {
  properties: string[];
}

/** The replication every topic of a cluster of `nodes` gets: all nodes, at most 3. */
export function clusterReplication(nodes: number): { replicas: number; minInsync: number } {
  const replicas = Math.max(1, Math.min(3, nodes));
  return { replicas, minInsync: minInsyncFor(replicas) };
}

/**
 * min.insync.replicas for a replication factor: RF − 1, at least 1 and at most 2. Writes with acks=all
 * go on while any one replica is down, an acknowledged write is on two brokers from RF 3 up, and no
 * write ever waits for more than two copies.
 */
export function minInsyncFor(replicationFactor: number): number {
  return Math.max(1, Math.min(2, replicationFactor - 1));
}

/** Properties of a node of a combined quorum of `voters` (the node itself among them). */
export function nodeProperties(
  self: NodeAddress,
  voters: readonly NodeAddress[],
  logDirs: string,
  secure?: SecureListener,
): string {
  const { replicas, minInsync } = clusterReplication(voters.length);
  const quorum = voters.map((v) => `${v.nodeId}@127.0.0.1:${v.controllerPort}`).join(',');
  const lines = [
    '# Written by src/kafka/broker-config.ts: a local KRaft node for development and tests.',
    'process.roles=broker,controller',
    `node.id=${self.nodeId}`,
    `controller.quorum.voters=${quorum}`,
    ...listenerLines(self, secure),
    `log.dirs=${logDirs}`,
    'num.partitions=1',
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInsync}`,
    // Internal topics ask for the replicas that exist: with more, groups never find a coordinator.
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInsync}`,
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${minInsync}`,
    // Tests and the dev loop want groups to form at once, and topics to exist only when created on purpose.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    // The log cleaner takes this buffer from the heap at start (128 MB by default): it must leave the
    // 256 MB heaps of test and cluster nodes room to run, or the JVM exits with OutOfMemoryError (code 3).
    // 16 MB dedupes about half a million keys per cleaning pass, far beyond a local node's compacted topics.
    'log.cleaner.dedupe.buffer.size=16777216',
  ];
  if (voters.length > 1) lines.push(...SMALL_NODE);
  return `${lines.join('\n')}\n`;
}

/**
 * The client listener: PLAINTEXT, or SASL_SSL (brokers talk to each other through it too). The
 * controllers always talk PLAINTEXT on loopback.
 */
function listenerLines(self: NodeAddress, secure: SecureListener | undefined): string[] {
  const controller = `CONTROLLER://127.0.0.1:${self.controllerPort}`;
  if (!secure) {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${self.port},${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${self.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  }
  const clients = [`SASL_SSL://127.0.0.1:${self.port}`];
  return [
    `listeners=${[...clients, controller].join(',')}`,
    `advertised.listeners=${clients.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    ...secure.properties,
  ];
}

/**
 * Several nodes share a small machine: few threads each, and a dead node fenced (its partitions led
 * elsewhere) within seconds rather than the default 9 s session.
 */
const SMALL_NODE = [
  'num.network.threads=2',
  'num.io.threads=2',
  'background.threads=2',
  'num.recovery.threads.per.data.dir=1',
  'log.cleaner.threads=1',
  'broker.heartbeat.interval.ms=1000',
  'broker.session.timeout.ms=6000',
];

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding, as `StorageTool random-uuid` prints.
 * Made here to spare a JVM start; Kafka rejects ids starting with '-', so those are drawn again.
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
