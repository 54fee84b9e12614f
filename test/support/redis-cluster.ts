/**
 * A real Redis Cluster for tests: `masters` redis-servers plus one replica each, on free ports in a
 * temporary directory, joined by `redis-cli --cluster create`. Each server runs through
 * `setpriv --pdeathsig KILL` in its own process group (test/support/processes.ts), so none outlives
 * the test process, even when that process is killed; `stop()` removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Proc, spawnProc } from './processes.js';
import { waitUntil } from './reliability.js';

const SETPRIV = '/usr/bin/setpriv';
/** A cluster node's bus listens on its port + 10000, so both must be free. */
const BUS_OFFSET = 10_000;

export interface ClusterNodeProc {
  readonly port: number;
  readonly address: string;
  readonly proc: Proc;
}

export interface RedisClusterHandle {
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: every node, as REDIS_CLUSTER_NODES takes them. */
  readonly seeds: string;
  readonly nodes: readonly ClusterNodeProc[];
  /** The node (address) serving `slot` as master now, as a live node reports it. */
  masterOf(slot: number): Promise<string>;
  /** Every master's address, as a live node reports them. */
  masters(): Promise<string[]>;
  /** Keys matching `pattern` on every live master. */
  keys(pattern: string): Promise<string[]>;
  /** The slot Redis itself computes for `key` (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number>;
  /** Sums a counter of `INFO commandstats` (e.g. `mget` calls) over the live masters. */
  commandCalls(command: string): Promise<number>;
  /** SIGKILL one node's process (an abrupt loss) and wait for it to be gone. */
  kill(address: string): Promise<void>;
  /**
   * Waits until every live node reports `cluster_state:ok`, every live replica is in sync with its
   * master, and no slot is served by `lost`.
   */
  waitHealthy(timeoutMs: number, lost?: string): Promise<void>;
  /** Stops every node and removes the directory. */
  stop(): Promise<void>;
}

/** Starts the cluster and waits until every node reports `cluster_state:ok`. */
export async function startRedisCluster(opts: { masters?: number } = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'login-alerts-redis-cluster-'));
  const nodes: ClusterNodeProc[] = [];
  const clients = new Map<string, Redis>();
  const stop = async () => {
    for (const c of clients.values()) c.disconnect();
    await Promise.all(nodes.map((n) => n.proc.stop(3_000)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * 2; i++) nodes.push(await startNode(dir));
    const create = spawnProc(
      'redis-cli --cluster create',
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes'],
      process.env,
    );
    await create.exited;
    if (create.child.exitCode !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.output()}`);
    const handle = clusterHandle(nodes, clients, stop);
    await handle.waitHealthy(30_000);
    return handle;
  } catch (err) {
    await stop();
    throw err;
  }
}

function clusterHandle(
  nodes: ClusterNodeProc[],
  clients: Map<string, Redis>,
  stop: () => Promise<void>,
): RedisClusterHandle {
  const live = () => nodes.filter((n) => n.proc.alive());
  const client = (address: string): Redis => {
    let c = clients.get(address);
    if (!c) {
      const [host, port] = address.split(':');
      c = new Redis({ host, port: Number(port), maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      clients.set(address, c);
    }
    return c;
  };
  const any = () => client(live()[0]!.address);
  /** CLUSTER SLOTS as ranges with the master's address. */
  const slotRanges = async () => {
    const reply = await any().cluster('SLOTS');
    return reply.map(([from, to, master]) => ({ from, to, master: `${master?.[0]}:${master?.[1]}` }));
  };
  const masters = async () => [...new Set((await slotRanges()).map((r) => r.master))];
  return {
    seeds: nodes.map((n) => n.address).join(','),
    nodes,
    async masterOf(slot) {
      const range = (await slotRanges()).find((r) => r.from <= slot && slot <= r.to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return range.master;
    },
    masters,
    async keys(pattern) {
      const found = await Promise.all((await masters()).map((m) => client(m).keys(pattern)));
      return found.flat().sort();
    },
    async keySlot(key) {
      return Number(await any().cluster('KEYSLOT', key));
    },
    async commandCalls(command) {
      const infos = await Promise.all((await masters()).map((m) => client(m).info('commandstats')));
      const re = new RegExp(`cmdstat_${command}:calls=(\\d+)`);
      return infos.reduce((sum, info) => sum + Number(re.exec(info)?.[1] ?? 0), 0);
    },
    async kill(address) {
      const node = nodes.find((n) => n.address === address);
      if (!node) throw new Error(`no node ${address}`);
      clients.get(address)?.disconnect();
      clients.delete(address);
      await node.proc.kill();
    },
    async waitHealthy(timeoutMs, lost) {
      let last = '';
      await waitUntil(
        'every node to report cluster_state:ok',
        async () => {
          try {
            const infos = await Promise.all(live().map((n) => client(n.address).cluster('INFO')));
            last = infos.map((i) => /cluster_state:\w+/.exec(String(i))?.[0]).join(' ');
            if (!infos.every((i) => String(i).includes('cluster_state:ok'))) return false;
            if (lost !== undefined && (await masters()).includes(lost)) return false;
            // A replica that has not synced refuses to be promoted ("disconnected from master for
            // longer than allowed"), so a healthy cluster is one whose live replicas are in sync.
            const repl = await Promise.all(live().map((n) => client(n.address).info('replication')));
            const syncing = repl.filter(
              (r) => r.includes('role:slave') && !r.includes('master_link_status:up'),
            );
            last = `${last}; ${syncing.length} replicas not in sync`;
            return syncing.length === 0;
          } catch (err) {
            last = (err as Error).message;
            return false;
          }
        },
        timeoutMs,
        () => last,
        50,
      );
    },
    stop,
  };
}

/** One cluster-enabled redis-server on a free port pair; another pair is tried when it fails to start. */
async function startNode(dir: string): Promise<ClusterNodeProc> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePortPair();
    const proc = spawnProc(
      `redis-server ${port}`,
      SETPRIV,
      [
        '--pdeathsig',
        'KILL',
        'redis-server',
        '--cluster-enabled',
        'yes',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-node-timeout',
        '1000',
      ],
      process.env,
    );
    const address = `127.0.0.1:${port}`;
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await waitUntil(
        `redis-server on ${port} to answer PING`,
        async () => {
          if (!proc.alive()) throw new Error(`redis-server exited:\n${proc.output()}`);
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        10_000,
        undefined,
        20,
      );
      return { port, address, proc };
    } catch (err) {
      await proc.kill();
      if (attempt >= 4) throw err;
    } finally {
      probe.disconnect();
    }
  }
}

/** A port P in a high range with P and P + 10000 both free on 127.0.0.1 (bound then released). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await canBind(port)) && (await canBind(port + BUS_OFFSET))) return port;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
