/**
 * State in a real Redis Cluster (3 masters and 3 replicas, started by this file): the store across
 * accounts on every slot range, the pipeline on the real broker with the cluster store, and a master
 * killed mid-stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { accountPrefix, keys } from '../../src/state/keys.js';
import { createRedisClusterStore } from '../../src/state/redis-cluster.js';
import { keySlot } from '../../src/state/redis-slots.js';
import type { Store, WriteOp } from '../../src/state/store.js';
import { uniqueName } from '../support/env.js';
import { failedSignIn, profile, signIn } from '../support/events.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-cluster.js';
import { judge, outboxCounts, outcomeKey, plan, waitUntil } from '../support/reliability.js';

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const seeds = () =>
  cluster.seeds.split(',').map((address) => {
    const [host, port] = address.split(':');
    return { host: host!, port: Number(port) };
  });

describe('the Redis Cluster store', () => {
  let store: Store;
  beforeAll(() => {
    // A generous timeout: these batches are thousands of commands on a machine shared with others.
    store = createRedisClusterStore(seeds(), { commandTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('puts every key in the slot Redis computes, hash tags and UTF-8 included', async () => {
    const samples = [
      'plain',
      keys.profile('a{b}c}'),
      keys.session('🙂-ü', 's'),
      'é{ü}x',
      '{}x',
      'x{}y{z}',
      '{open',
      keys.delivery('acct', 'alert', 'email', 'r'),
    ];
    const ours = samples.map(keySlot);
    const redis = await Promise.all(samples.map((k) => cluster.keySlot(k)));
    expect(ours).toEqual(redis);
  });

  it('reads, writes, claims and deletes the state of 400 accounts on every master, one MGET per slot', async () => {
    const prefix = uniqueName('acct');
    const accounts = Array.from({ length: 400 }, (_, i) => `${prefix}-${i}`);
    const slots = new Set(accounts.map((a) => keySlot(keys.profile(a))));
    const masters = new Set(await Promise.all([...slots].map((s) => cluster.masterOf(s))));
    expect(masters.size).toBe(3);
    // 400 names in 16,384 slots share about five slots (birthday bound, standard deviation ~2.2):
    // the bound only checks that the accounts spread, the MGET count below is the assertion.
    expect(slots.size).toBeGreaterThan(350);
    // The first 20 accounts have no profile: their guarded writes must write nothing.
    const enrolled = (i: number) => i >= 20;
    const ops: WriteOp[] = accounts.flatMap((a, i) => [
      ...(enrolled(i) ? [{ op: 'set' as const, key: keys.profile(a), value: `p-${i}` }] : []),
      { op: 'set', key: keys.history(a), value: `h-${i}`, ttlMs: 60_000, guard: keys.profile(a) },
      { op: 'setnx', key: keys.session(a, 's'), value: '1', ttlMs: 60_000, guard: keys.profile(a) },
      { op: 'setnx', key: keys.event(a, 'e'), value: '1', ttlMs: 60_000 },
      { op: 'setnx', key: keys.event(a, 'e'), value: 'ignored', ttlMs: 60_000 },
      { op: 'set', key: keys.failures(a), value: `f-${i}`, ttlMs: 60_000 },
      { op: 'cas', key: keys.failures(a), expect: `f-${i}`, value: `f2-${i}` },
      { op: 'del', key: keys.excluded(a) },
    ]);
    await store.write(ops);
    const stateKeys = (a: string) => [
      keys.profile(a),
      keys.history(a),
      keys.session(a, 's'),
      keys.event(a, 'e'),
      keys.failures(a),
      keys.excluded(a),
    ];
    const expected = accounts.flatMap((_, i) =>
      enrolled(i)
        ? [`p-${i}`, `h-${i}`, '1', '1', `f2-${i}`, undefined]
        : [undefined, undefined, undefined, '1', `f2-${i}`, undefined],
    );
    const mgetBefore = await cluster.commandCalls('mget');
    expect(await store.read(accounts.flatMap(stateKeys))).toEqual(expected);
    expect((await cluster.commandCalls('mget')) - mgetBefore).toBe(slots.size);

    // Claims: the even accounts' deliveries are already held, so only the odd ones are taken.
    const delivery = (a: string) => keys.delivery(a, 'alert-1', 'email', `${a}@example.com`);
    const lease = (a: string) => ({ key: delivery(a), value: 'claimed', ttlMs: 60_000 });
    await store.claim(accounts.filter((_, i) => i % 2 === 0).map(lease));
    expect(await store.claim(accounts.map(lease))).toEqual(accounts.map((_, i) => i % 2 === 1));

    // Tombstones: every key of the deleted accounts goes (profile, history, session, event, failures
    // and delivery; the unenrolled hold only the last three), nothing of the others.
    const deleted = accounts.slice(0, 60);
    const removed = await Promise.all(deleted.map((a) => store.deleteAccount(a)));
    expect(removed).toEqual(deleted.map((_, i) => (enrolled(i) ? 6 : 3)));
    for (const a of deleted) expect(await cluster.keys(`${accountPrefix(a)}*`)).toEqual([]);
    const kept = accounts.slice(60);
    expect(await store.read(kept.flatMap(stateKeys))).toEqual(expected.slice(60 * 6));
    await Promise.all(kept.map((a) => store.deleteAccount(a)));
    expect(await cluster.keys(`la:{${prefix}*`)).toEqual([]);
  });

  it("writes back-to-back guarded runs of accounts in different slots, each run a call of its own (a script's keys share a slot)", async () => {
    const prefix = uniqueName('acct');
    const accounts = Array.from({ length: 60 }, (_, i) => `${prefix}-${i}`);
    // Every master holds runs of several slots, next to each other in one pipeline.
    expect(new Set(accounts.map((a) => keySlot(keys.profile(a)))).size).toBeGreaterThan(50);
    const enrolled = accounts.filter((_, i) => i % 4 !== 0);
    await store.write(enrolled.map((a) => ({ op: 'set' as const, key: keys.profile(a), value: 'p' })));
    await store.write(
      accounts.flatMap((a, i) => [
        { op: 'set' as const, key: keys.history(a), value: `h-${i}`, ttlMs: 60_000, guard: keys.profile(a) },
        ...(i % 2 === 0
          ? [
              {
                op: 'setnx' as const,
                key: keys.session(a, 's'),
                value: '1',
                ttlMs: 60_000,
                guard: keys.profile(a),
              },
            ]
          : []),
      ]),
    );
    expect(await store.read(accounts.flatMap((a) => [keys.history(a), keys.session(a, 's')]))).toEqual(
      accounts.flatMap((_, i) =>
        i % 4 === 0 ? [undefined, undefined] : [`h-${i}`, i % 2 === 0 ? '1' : undefined],
      ),
    );
    await Promise.all(accounts.map((a) => store.deleteAccount(a)));
  });

  it('refuses for good a guarded write whose guard is in another slot', async () => {
    const a = uniqueName('acct');
    let b = `${a}-other`;
    while (keySlot(keys.profile(b)) === keySlot(keys.profile(a))) b += 'x';
    await expect(
      store.write([{ op: 'set', key: keys.history(a), value: 'h', guard: keys.profile(b) }]),
    ).rejects.toMatchObject({ code: 'INTERNAL', retryable: false });
  });

  it('fails with a retryable STORE_UNAVAILABLE when no node answers', async () => {
    const away = createRedisClusterStore([{ host: '127.0.0.1', port: 1 }], { commandTimeoutMs: 500 });
    try {
      await expect(away.read(['x'])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
      await expect(away.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    } finally {
      await away.close();
    }
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('takes host:port seeds and refuses to be set together with REDIS_URL', () => {
    const env = { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' };
    expect(loadConfig(env).redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => loadConfig({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(
      /REDIS_CLUSTER_NODES: REDIS_URL is set too/,
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-a' })).toThrow(
      /REDIS_CLUSTER_NODES: expected host:port/,
    );
  });
});

describe('the login-events pipeline with the Redis Cluster store', () => {
  let t: TestPipeline;
  beforeAll(async () => {
    // The harness's 'memory' sets no REDIS_URL; REDIS_CLUSTER_NODES then selects the cluster store.
    t = await startTestPipeline('memory', { env: { REDIS_CLUSTER_NODES: cluster.seeds } });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function enroll(accounts: string[]): Promise<void> {
    await t.publish(
      'accountSecurity',
      accounts.map((a) => ({ key: a, value: profile(a) })),
    );
    for (const a of accounts) await t.profileApplied(a);
  }

  const alertsFor = (w: Watch, account: string) =>
    w.values.map((v) => v.value as LoginAlert).filter((a) => a.account_id === account);

  it('starts on REDIS_CLUSTER_NODES: the store part of /readyz is the cluster', async () => {
    expect(t.pipeline.services.store.kind).toBe('redis-cluster');
    const body = (await (await fetch(`${t.pipeline.adminUrl}/readyz`)).json()) as {
      parts: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(body.parts.store).toMatchObject({ ok: true, detail: 'redis-cluster' });
  });

  it('alerts once when the same session arrives three times and an event is redelivered', async () => {
    const account = uniqueName('acct');
    await enroll([account]);
    const alerts = await t.watch('loginAlerts');
    const first = signIn(account);
    const again = [
      first,
      { ...first, event_id: `${first.event_id}-b` },
      { ...first, event_id: `${first.event_id}-c` },
      first,
    ];
    await t.publish(
      'authEvents',
      again.map((e) => ({ key: account, value: e })),
    );
    const marker = signIn(account);
    await t.publish('authEvents', [{ key: account, value: marker }]);
    await alerts.waitFor(2, account);
    await sleep(300);
    expect(alertsFor(alerts, account).map((a) => a.session_id)).toEqual([
      first.session_id,
      marker.session_id,
    ]);
  });

  it('alerts once for a burst of eight failed sign-ins', async () => {
    const account = uniqueName('acct');
    await enroll([account]);
    const alerts = await t.watch('loginAlerts');
    const base = Date.now() - 8 * 60_000;
    const failures = Array.from({ length: 8 }, (_, i) => failedSignIn(account, new Date(base + i * 30_000)));
    await t.publish(
      'authEvents',
      failures.map((e) => ({ key: account, value: e })),
    );
    const marker = signIn(account);
    await t.publish('authEvents', [{ key: account, value: marker }]);
    await alerts.waitFor(2, account);
    await sleep(300);
    const mine = alertsFor(alerts, account);
    expect(mine.map((a) => a.kind)).toEqual(['failed_attempts', 'new_login']);
    expect(mine[0]).toMatchObject({ failure_count: 3, severity: 'critical' });
  });

  it('a tombstone leaves no key of the account on any master', async () => {
    const account = uniqueName('acct');
    await enroll([account]);
    const alerts = await t.watch('loginAlerts');
    await t.publish('authEvents', [
      { key: account, value: signIn(account) },
      { key: account, value: failedSignIn(account, new Date()) },
    ]);
    await alerts.waitFor(1, account);
    const pattern = `${accountPrefix(account)}*`;
    await waitUntil(
      'the alert state to be written',
      async () => (await cluster.keys(pattern)).length > 3,
      10_000,
    );
    await t.publish('accountSecurity', [{ key: account, value: null }]);
    await waitUntil(
      'every key of the account to be deleted',
      async () => (await cluster.keys(pattern)).length === 0,
      15_000,
    );
    expect(await cluster.keys(pattern)).toEqual([]);
  });

  it('rides through a master killed mid-stream: each session alerted and emailed once', async () => {
    const { accounts, sessions } = plan(30, 10);
    await enroll(accounts);
    const alerts = await t.watch('loginAlerts');
    const victim = await cluster.masterOf(keySlot(keys.profile(accounts[0]!)));
    const onVictim = new Set<string>();
    for (const a of accounts)
      if ((await cluster.masterOf(keySlot(keys.profile(a)))) === victim) onVictim.add(a);
    const mine = new Set(accounts);
    const alertIds = () =>
      alerts.values.filter((v) => mine.has(v.key)).map((v) => (v.value as LoginAlert).alert_id);
    const expectedIds = new Set(sessions.map((s) => s.alertId));
    const expectedKeys = new Set(sessions.map((s) => outcomeKey(s.alertId, 'email')));
    const emails = () =>
      new Map([...outboxCounts(t.config.outboxDir!).counts].filter(([key]) => expectedKeys.has(key)));

    // The login-events consumer's part of readiness: when it started waiting on the store, and when
    // it was back.
    const part = `consumer:${t.config.kafka.groupId}`;
    let killedAt = 0;
    let waitedAt = 0;
    let resumedAt = 0;
    const watchHealth = setInterval(() => {
      const h = t.pipeline.services.health.snapshot()[part];
      if (killedAt === 0 || !h) return;
      if (!h.ok && h.code === 'STORE_UNAVAILABLE' && waitedAt === 0) waitedAt = Date.now();
      if (h.ok && waitedAt > 0 && resumedAt === 0) resumedAt = Date.now();
    }, 20);
    let promotedAt = 0;
    let failover: Promise<void> | undefined;
    try {
      // ~60 sign-ins a second; the master goes once a fifth of the sessions have their alert.
      for (let i = 0; i < sessions.length; i += 6) {
        const batch = sessions.slice(i, i + 6);
        await t.publish(
          'authEvents',
          batch.map((s) => ({ key: s.account, value: signIn(s.account, { session_id: s.sessionId }) })),
        );
        if (!failover && new Set(alertIds()).size >= sessions.length / 5) {
          killedAt = Date.now();
          failover = cluster.kill(victim).then(async () => {
            await cluster.waitHealthy(20_000, victim);
            promotedAt = Date.now();
          });
        }
        await sleep(100);
      }
      expect(failover).toBeDefined();
      await failover;
      await waitUntil(
        'every session to be alerted and emailed',
        () => new Set(alertIds()).size === expectedIds.size && emails().size === expectedIds.size,
        30_000,
        () => `${new Set(alertIds()).size} alerted, ${emails().size} emailed of ${expectedIds.size}`,
      );
      const settledAt = Date.now();
      await sleep(500);
      const ids = alertIds();
      const after = (at: number) => (at > 0 ? `${at - killedAt} ms` : 'never');
      process.stderr.write(
        `redis-cluster failover: ${sessions.length} sessions, ${onVictim.size} of ${accounts.length} accounts on the killed master; ` +
          `after the kill: consumer waiting ${after(waitedAt)}, replica promoted ${after(promotedAt)}, ` +
          `consumer resumed ${after(resumedAt)}, every session alerted and emailed ${after(settledAt)}; ` +
          `${ids.length} alert records for ${new Set(ids).size} alerts\n`,
      );
      expect(onVictim.size).toBeGreaterThan(0);
      expect(new Set(ids)).toEqual(expectedIds);
      expect(judge(sessions, emails())).toMatchObject({
        missing: 0,
        duplicated: 0,
        distinct: sessions.length,
      });
      // The consumer waited on the store (nothing committed meanwhile) and came back by itself.
      expect(waitedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeGreaterThan(waitedAt);
    } finally {
      clearInterval(watchHealth);
    }
  }, 60_000);
});
