import { Cluster } from 'ioredis';
import type { RedisSecurity } from '../config/redis-tls.js';
import { AppError } from '../errors.js';
import { accountPrefix } from './keys.js';
import {
  addClaim,
  addWrites,
  connectOnce,
  defineScripts,
  execPipeline,
  guarded,
  type StorePipeline,
  unlinkPrefix,
} from './redis-commands.js';
import { explainFailures, securityOptions } from './redis-connection.js';
import { keySlot } from './redis-slots.js';
import type { Store, WriteOp } from './store.js';

/** A seed node of the cluster; the client learns the others from it. */
export interface ClusterSeed {
  host: string;
  port: number;
}

/**
 * Redis Cluster store: the same commands as the single-server store, split so that no command
 * spans two slots and no pipeline two nodes (ioredis refuses a pipeline whose keys live on
 * different nodes). A batch costs one pipeline per master it touches, sent together; reads are one
 * MGET per slot inside them. Every key of one account shares a hash tag, so the guarded script's
 * two keys are always on one node. A lost node, MOVED, CLUSTERDOWN or a failover surfaces as the
 * retryable STORE_UNAVAILABLE, like the single-server store, and the consumer retries the chunk.
 */
export function createRedisClusterStore(
  seeds: readonly ClusterSeed[],
  opts: { commandTimeoutMs?: number; security?: RedisSecurity } = {},
): Store {
  const cluster = openCluster(seeds, opts.commandTimeoutMs ?? 2_000, opts.security);
  const failures = explainFailures(cluster, 'redis cluster');
  // In a pipeline, ioredis follows a MOVED (and learns the slot's new owner) only when every other
  // command in it is a read; a batch of writes would keep the old owner until the next periodic
  // refresh, so any failure asks for the slots again.
  const guard = guarded(
    connectOnce(cluster, ['wait', 'end', 'close'], 'redis cluster'),
    () => {
      if (cluster.status === 'ready') cluster.refreshSlotsCache();
    },
    failures.explain,
  );
  /** The node group (master and replicas, as ioredis groups them) that serves a slot now. */
  const nodeOf = (slot: number): string => cluster.slots[slot]?.join(';') ?? '';

  return {
    kind: 'redis-cluster',
    read: (keys) => guard('read', () => readAll(cluster, nodeOf, keys)),
    write: (ops) => guard('write', () => writeAll(cluster, nodeOf, ops)),
    claim: (entries) => guard('claim', () => claimAll(cluster, nodeOf, entries)),
    deleteAccount: (accountId) =>
      guard('deleteAccount', async () => {
        // The profile goes first: guarded writes racing with this deletion then write nothing.
        const removed = await cluster.unlink(`${accountPrefix(accountId)}profile`);
        return removed + (await unlinkEverywhere(cluster, accountPrefix(accountId)));
      }),
    deletePrefix: (prefix) => guard('deletePrefix', () => unlinkEverywhere(cluster, prefix)),
    ping: () =>
      guard('ping', async () => {
        const masters = cluster.nodes('master');
        if (masters.length === 0) throw new Error('no master is known');
        await Promise.all(masters.map((node) => node.ping()));
      }),
    async close() {
      cluster.disconnect();
    },
  };
}

type NodeOf = (slot: number) => string;

/** One pipeline per node group, sent together; one MGET per slot inside each. */
async function readAll(cluster: Cluster, nodeOf: NodeOf, keys: readonly string[]) {
  const values: (string | undefined)[] = new Array(keys.length).fill(undefined);
  const groups = groupPositions(keys, nodeOf);
  await Promise.all(
    [...groups.values()].map(async (bySlot) => {
      const slots = [...bySlot.values()];
      const p = cluster.pipeline();
      for (const at of slots) p.mget(...at.map((i) => keys[i]!));
      const replies = (await execPipeline(p)) as (string | null)[][];
      slots.forEach((at, s) => {
        at.forEach((i, j) => {
          values[i] = replies[s]![j] ?? undefined;
        });
      });
    }),
  );
  return values;
}

/** Unlinks every key starting with `prefix` on every master: a slot being migrated has keys on two of them. */
async function unlinkEverywhere(cluster: Cluster, prefix: string): Promise<number> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('no master is known');
  const counts = await Promise.all(masters.map((node) => unlinkPrefix(node, prefix)));
  return counts.reduce((sum, n) => sum + n, 0);
}

/** One pipeline per node group, each keeping the order of its writes. */
async function writeAll(cluster: Cluster, nodeOf: NodeOf, ops: readonly WriteOp[]): Promise<void> {
  const groups = new Map<string, WriteOp[]>();
  for (const op of ops) {
    const node = nodeOf(slotOfWrite(op));
    const list = groups.get(node);
    if (list) list.push(op);
    else groups.set(node, [op]);
  }
  await Promise.all(
    [...groups.values()].map((list) => {
      const p = cluster.pipeline() as StorePipeline;
      addWrites(p, list, { sameSlotOnly: true });
      return execPipeline(p);
    }),
  );
}

/** SET NX for each entry, one pipeline per node group; true where this call took the key. */
async function claimAll(
  cluster: Cluster,
  nodeOf: NodeOf,
  entries: readonly { key: string; value: string; ttlMs: number }[],
): Promise<boolean[]> {
  const taken: boolean[] = new Array(entries.length).fill(false);
  const groups = groupPositions(
    entries.map((e) => e.key),
    nodeOf,
  );
  await Promise.all(
    [...groups.values()].map(async (bySlot) => {
      const at = [...bySlot.values()].flat();
      const p = cluster.pipeline();
      for (const i of at) addClaim(p, entries[i]!);
      const replies = await execPipeline(p);
      at.forEach((i, j) => {
        taken[i] = replies[j] === 'OK';
      });
    }),
  );
  return taken;
}

/** Positions of `keys` by node group, then by slot, each list in the order given. */
function groupPositions(
  keys: readonly string[],
  nodeOf: (slot: number) => string,
): Map<string, Map<number, number[]>> {
  const groups = new Map<string, Map<number, number[]>>();
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    const node = nodeOf(slot);
    const bySlot = groups.get(node) ?? new Map<number, number[]>();
    groups.set(node, bySlot);
    const at = bySlot.get(slot);
    if (at) at.push(i);
    else bySlot.set(slot, [i]);
  });
  return groups;
}

/** A write's slot; a guarded write whose guard lives in another slot could never run, so it is refused. */
function slotOfWrite(op: WriteOp): number {
  const slot = keySlot(op.key);
  if (op.op !== 'del' && op.op !== 'cas' && op.guard !== undefined && keySlot(op.guard) !== slot) {
    throw new AppError('INTERNAL', `a guarded write and its guard must share a hash slot: ${op.key}`, {
      retryable: false,
    });
  }
  return slot;
}

/**
 * A lazily connected cluster client with the store's scripts; failed reconnects stay quiet. Each node
 * connection carries the TLS settings and the ACL user, and sends only the store's commands plus
 * CLUSTER SLOTS and CLUSTER INFO (no INFO ready check, no CLIENT SETINFO).
 */
function openCluster(
  seeds: readonly ClusterSeed[],
  commandTimeoutMs: number,
  security: RedisSecurity | undefined,
): Cluster {
  const secure = securityOptions(security);
  const cluster = new Cluster(
    seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      lazyConnect: true,
      // Commands fail at once while the cluster is away instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      scaleReads: 'master',
      // A lost node or a cluster that is down fails the call at once (no retries inside the client):
      // the consumer loop's backoff is the one retry policy, and its readiness shows the wait.
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 1_000,
      clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
      redisOptions: {
        ...secure,
        commandTimeout: commandTimeoutMs,
        maxRetriesPerRequest: 1,
        enableReadyCheck: false,
        disableClientInfo: true,
      },
      // The client resolves seed names to addresses by default, and TLS would then check the
      // certificate against an address: with TLS a seed is dialled by the name given, so a
      // certificate issued for that name verifies. Nodes learned from CLUSTER SLOTS are dialled as
      // the cluster announces them (an address, or a name with cluster-preferred-endpoint-type
      // hostname), and their certificates must name that.
      ...(secure.tls
        ? { dnsLookup: (address: string, done: (err: null, a: string) => void) => done(null, address) }
        : {}),
    },
  );
  // ioredis emits 'error' on every failed reconnect; the consumers report unavailability instead.
  cluster.on('error', () => {});
  cluster.on('node error', () => {});
  defineScripts(cluster);
  return cluster;
}
