/**
 * A real redis-server that speaks only TLS (`--port 0 --tls-port P`), with certificates made by
 * openssl for this run, and ACL users: `default` (the test's own, every command, every key, password
 * `ADMIN_PASSWORD`) and the store's user (`STORE_USER`), which may run only the commands in
 * `STORE_ACL` on `la:*` keys, the rules the README documents for production.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, type Proc, spawnProc } from './processes.js';
import { freePortPair } from './redis-cluster.js';
import { waitUntil } from './reliability.js';

const SETPRIV = '/usr/bin/setpriv';

export const STORE_USER = 'login-alerts';
export const ADMIN_PASSWORD = 'admin-pw-not-the-store-one';

/**
 * The store's ACL rules, in order (the README's production line without the user and password):
 * the commands both stores send, on `la:` keys only, no pub/sub channels; a Cluster adds
 * `+cluster|slots +cluster|info +client|setname` (the client names its slot-refresh connection).
 */
export const STORE_ACL = [
  'resetkeys',
  '~la:*',
  'resetchannels',
  '-@all',
  '+ping',
  '+get',
  '+mget',
  '+set',
  '+exists',
  '+del',
  '+unlink',
  '+scan',
  '+eval',
  '+evalsha',
  '+script|load',
  '+script|exists',
] as const;
export const CLUSTER_ACL = ['+cluster|slots', '+cluster|info', '+client|setname'] as const;

/** The files openssl made: a CA, a server certificate it signed, a client certificate, and a stranger CA. */
export interface TlsFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing this server presents. */
  otherCa: string;
}

/** Makes the certificates in a new temporary directory; the server's names `sans` (openssl syntax). */
export function makeTlsFiles(sans = 'IP:127.0.0.1,DNS:localhost'): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'login-alerts-redis-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=la-test-ca',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('other.key'),
    '-out',
    at('other.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=stranger',
  );
  const sign = (name: string, cn: string, ext: string) => {
    openssl('req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(at(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      at(`${name}.ext`),
    );
  };
  sign('server', 'redis', `subjectAltName=${sans}`);
  sign('client', STORE_USER, 'extendedKeyUsage=clientAuth');
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    otherCa: at('other.crt'),
  };
}

/** redis-server arguments for TLS only on `port`, with the two users; `extra` appended. */
export function tlsServerArgs(
  files: TlsFiles,
  port: number,
  storePassword: string,
  opts: { authClients?: 'yes' | 'optional'; cluster?: boolean } = {},
): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--bind',
    '127.0.0.1',
    '-::1',
    '--tls-cert-file',
    files.serverCert,
    '--tls-key-file',
    files.serverKey,
    '--tls-ca-cert-file',
    files.ca,
    '--tls-auth-clients',
    opts.authClients ?? 'optional',
    '--save',
    '',
    '--appendonly',
    'no',
    '--user',
    'default',
    'on',
    `>${ADMIN_PASSWORD}`,
    '~*',
    '&*',
    '+@all',
    '--user',
    STORE_USER,
    'on',
    `>${storePassword}`,
    ...STORE_ACL,
    ...(opts.cluster ? CLUSTER_ACL : []),
  ];
}

/** A client as the test's own `default` user, over TLS. */
export function adminClient(files: TlsFiles, port: number, host = '127.0.0.1'): Redis {
  const c = new Redis({
    host,
    port,
    password: ADMIN_PASSWORD,
    // The client certificate too, for a server that asks for one (`--tls-auth-clients yes`).
    tls: {
      ca: readFileSync(files.ca),
      cert: readFileSync(files.clientCert),
      key: readFileSync(files.clientKey),
    },
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => {});
  return c;
}

export interface TlsRedis {
  readonly port: number;
  readonly files: TlsFiles;
  /** `rediss://login-alerts:<password>@127.0.0.1:<port>` */
  readonly url: string;
  readonly storePassword: string;
  /** The test's own client (user `default`). */
  readonly admin: Redis;
  stop(): Promise<void>;
}

/** Starts a TLS-only redis-server on a free port (another is tried when it fails to bind). */
export async function startTlsRedis(
  opts: { files?: TlsFiles; authClients?: 'yes' | 'optional' } = {},
): Promise<TlsRedis> {
  const files = opts.files ?? makeTlsFiles();
  const storePassword = `store-pw-${Math.random().toString(36).slice(2)}`;
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawnProc(
      `redis-server tls ${port}`,
      SETPRIV,
      ['--pdeathsig', 'KILL', 'redis-server', ...tlsServerArgs(files, port, storePassword, opts)],
      process.env,
    );
    const admin = adminClient(files, port);
    try {
      await answers(proc, admin, port);
    } catch (err) {
      admin.disconnect();
      await proc.kill();
      if (attempt >= 4) throw err;
      continue;
    }
    return {
      port,
      files,
      url: `rediss://${STORE_USER}:${storePassword}@127.0.0.1:${port}`,
      storePassword,
      admin,
      async stop() {
        admin.disconnect();
        await proc.stop(3_000);
        if (!opts.files) rmSync(files.dir, { recursive: true, force: true });
      },
    };
  }
}

/** Waits until the server answers PING over TLS as `default`. */
export async function answers(proc: Proc, admin: Redis, port: number): Promise<void> {
  await waitUntil(
    `redis-server on ${port} to answer PING over TLS`,
    async () => {
      if (!proc.alive()) throw new Error(`redis-server exited:\n${proc.output()}`);
      try {
        if (admin.status !== 'ready') await admin.connect();
        return (await admin.ping()) === 'PONG';
      } catch {
        admin.disconnect();
        return false;
      }
    },
    10_000,
    undefined,
    20,
  );
}

export interface TlsCluster {
  /** `localhost:P1,localhost:P2,…`: REDIS_CLUSTER_NODES for the store. */
  readonly seeds: string;
  readonly files: TlsFiles;
  readonly storePassword: string;
  /** The test's own client to each node (user `default`). */
  readonly admins: readonly Redis[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` TLS-only nodes (no replicas), the bus over TLS too, each announcing
 * itself as `localhost`: its certificate names only `localhost`, so the client must dial every node
 * by that name (the seeds as given, the others as CLUSTER SLOTS announces them) for it to verify.
 */
export async function startTlsCluster(masters = 3): Promise<TlsCluster> {
  const files = makeTlsFiles('DNS:localhost');
  const storePassword = `store-pw-${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), 'login-alerts-redis-tls-cluster-'));
  const procs: Proc[] = [];
  const admins: Redis[] = [];
  const ports: number[] = [];
  const stop = async () => {
    for (const a of admins) a.disconnect();
    await Promise.all(procs.map((p) => p.stop(3_000)));
    rmSync(dir, { recursive: true, force: true });
    rmSync(files.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePortPair();
      const proc = spawnProc(
        `redis-server tls cluster ${port}`,
        SETPRIV,
        [
          '--pdeathsig',
          'KILL',
          'redis-server',
          ...tlsServerArgs(files, port, storePassword, { cluster: true }),
          '--tls-cluster',
          'yes',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--cluster-announce-hostname',
          'localhost',
          '--cluster-preferred-endpoint-type',
          'hostname',
          '--dir',
          dir,
        ],
        process.env,
      );
      procs.push(proc);
      const admin = adminClient(files, port, 'localhost');
      admins.push(admin);
      await answers(proc, admin, port);
      ports.push(port);
    }
    const create = spawnProc(
      'redis-cli --cluster create (tls)',
      'redis-cli',
      [
        '--tls',
        '--cacert',
        files.ca,
        '--cert',
        files.clientCert,
        '--key',
        files.clientKey,
        '--no-auth-warning',
        '-a',
        ADMIN_PASSWORD,
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-yes',
      ],
      process.env,
    );
    await create.exited;
    if (create.child.exitCode !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.output()}`);
    await waitUntil(
      'every TLS cluster node to report cluster_state:ok',
      async () => {
        const infos = await Promise.all(admins.map((a) => a.cluster('INFO').catch(() => '')));
        return infos.every((i) => String(i).includes('cluster_state:ok'));
      },
      30_000,
    );
    return { seeds: ports.map((p) => `localhost:${p}`).join(','), files, storePassword, admins, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
