/**
 * The Redis Cluster store over TLS as the ACL user, on a real three-master cluster whose nodes speak
 * only TLS (the bus too) and whose certificates name only `localhost` (test/support/redis-tls.ts):
 * configured the way `run` is (REDIS_CLUSTER_NODES, REDIS_TLS, REDIS_TLS_CA_FILE, REDIS_USERNAME,
 * REDIS_PASSWORD), the store and the whole pipeline work across every master with the documented ACL
 * and no command refused, and a wrong password is a clear STORE_REFUSED.
 */
import { rm } from 'node:fs/promises';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { accountPrefix, keys } from '../../src/state/keys.js';
import { createRedisClusterStore } from '../../src/state/redis-cluster.js';
import { keySlot } from '../../src/state/redis-slots.js';
import type { Store } from '../../src/state/store.js';
import { uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { startTestPipeline } from '../support/pipeline-harness.js';
import { STORE_USER, startTlsCluster, type TlsCluster } from '../support/redis-tls.js';
import { waitUntil } from '../support/reliability.js';

function clusterStore(cluster: TlsCluster, password: string): Store {
  const config = loadConfig({
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_TLS: 'true',
    REDIS_TLS_CA_FILE: cluster.files.ca,
    REDIS_USERNAME: STORE_USER,
    REDIS_PASSWORD: password,
  });
  return createRedisClusterStore(config.redisClusterNodes!, { security: config.redisSecurity });
}

/** `perMaster` new account names whose keys live on each master, as CLUSTER SLOTS assigns them now. */
async function accountsOnEveryMaster(cluster: TlsCluster, perMaster: number): Promise<string[]> {
  const ranges = (await cluster.admins[0]!.cluster('SLOTS')) as [number, number, ...unknown[]][];
  const byRange = ranges.map(() => [] as string[]);
  while (byRange.some((names) => names.length < perMaster)) {
    const name = uniqueName('acct');
    const slot = keySlot(keys.profile(name));
    const at = ranges.findIndex(([start, end]) => slot >= start && slot <= end);
    if (at >= 0 && byRange[at]!.length < perMaster) byRange[at]!.push(name);
  }
  return byRange.flat();
}

describe('Redis Cluster over TLS with an ACL user', () => {
  let cluster: TlsCluster;
  beforeAll(async () => {
    cluster = await startTlsCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reads, writes, claims and deletes accounts on every master, with no command refused', async () => {
    const store = clusterStore(cluster, cluster.storePassword);
    try {
      // Four accounts on each master, drawn until each master's slots have them.
      const accounts = await accountsOnEveryMaster(cluster, 4);
      const slots = new Set(accounts.map((a) => keySlot(keys.profile(a))));
      expect(slots.size).toBeGreaterThan(3);
      await store.write(
        accounts.flatMap((a) => [
          { op: 'set' as const, key: keys.profile(a), value: a },
          { op: 'set' as const, key: keys.history(a), value: 'h', ttlMs: 60_000, guard: keys.profile(a) },
        ]),
      );
      expect(await store.read(accounts.map((a) => keys.profile(a)))).toEqual(accounts);
      expect(
        await store.claim(accounts.map((a) => ({ key: keys.event(a, 'e'), value: '1', ttlMs: 60_000 }))),
      ).toEqual(accounts.map(() => true));
      const perNode = await Promise.all(cluster.admins.map((n) => n.keys('la:*')));
      expect(perNode.every((k) => k.length > 0)).toBe(true);
      for (const a of accounts) expect(await store.deleteAccount(a)).toBe(3);
      const left = await Promise.all(cluster.admins.map((n) => n.keys(`${accountPrefix(accounts[0]!)}*`)));
      expect(left.flat()).toEqual([]);
      await store.ping();
      const refused = await Promise.all(cluster.admins.map((n) => n.acl('LOG') as Promise<unknown[]>));
      expect(refused.flat()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('alerts and records its deliveries end to end through the pipeline on the TLS cluster, with no command refused', async () => {
    await Promise.all(cluster.admins.map((n) => n.acl('LOG', 'RESET')));
    // 'memory' only keeps the harness from adding the shared REDIS_URL: the cluster is the store.
    const t = await startTestPipeline('memory', {
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        REDIS_TLS: 'true',
        REDIS_TLS_CA_FILE: cluster.files.ca,
        REDIS_USERNAME: STORE_USER,
        REDIS_PASSWORD: cluster.storePassword,
      },
    });
    const account = uniqueName('acct');
    try {
      expect(t.pipeline.services.store.kind).toBe('redis-cluster');
      const alerts = await t.watch('loginAlerts');
      await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
      await t.profileApplied(account);
      const event = signIn(account);
      await t.publish('authEvents', [{ key: account, value: event }]);
      const [alert] = await alerts.waitFor(1, account);
      expect(alert?.value).toMatchObject({ event_id: event.event_id });
      await waitUntil(
        'the delivery records on the cluster',
        async () => {
          const found = await Promise.all(cluster.admins.map((n) => n.keys(`${accountPrefix(account)}d:*`)));
          return found.flat().length > 0;
        },
        20_000,
      );
      const refused = await Promise.all(cluster.admins.map((n) => n.acl('LOG') as Promise<unknown[]>));
      expect(refused.flat()).toEqual([]);
    } finally {
      await t.stop();
      await rm(t.config.outboxDir!, { recursive: true, force: true });
    }
  });

  it('says Redis refused the user or password when the password is wrong', async () => {
    const store = clusterStore(cluster, 'not-the-password');
    try {
      const err = await store.ping().then(
        () => new Error('expected a rejection'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('STORE_REFUSED');
      expect((err as AppError).message).toMatch(/Redis refused the user or password: WRONGPASS/);
      expect((err as AppError).message).not.toContain('not-the-password');
    } finally {
      await store.close();
    }
  });
});
