/**
 * Redis over TLS with an ACL user, on a real TLS-only redis-server (test/support/redis-tls.ts): the
 * store and the whole pipeline work as a user that may touch only `la:*` keys with the README's
 * command list (and Redis logs no refused command), that user can touch nothing else, and a wrong
 * password, an untrusted server certificate or a missing client certificate each stop the start
 * with exit-2 configuration errors naming the variable, or turn readiness false naming Redis.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { AppError } from '../../src/errors.js';
import { accountPrefix, keys } from '../../src/state/keys.js';
import { createRedisStore } from '../../src/state/redis.js';
import type { Store } from '../../src/state/store.js';
import { kafkaBrokers, uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline } from '../support/pipeline-harness.js';
import { STORE_USER, startTlsRedis, type TlsRedis } from '../support/redis-tls.js';
import { waitUntil } from '../support/reliability.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;

/** The store as `run` builds it: from the environment, through the configuration. */
function storeFrom(env: Record<string, string>): Store {
  const config = loadConfig(env);
  return createRedisStore(config.redisUrl!, { security: config.redisSecurity });
}

/** The reason a promise rejected, as an AppError (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const refusedCommands = async (redis: TlsRedis) => (await redis.admin.acl('LOG')) as unknown[];

describe('Redis over TLS with an ACL user', () => {
  let redis: TlsRedis;
  beforeAll(async () => {
    redis = await startTlsRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('the store reads, writes, claims, compares and deletes an account as the ACL user', async () => {
    const store = storeFrom({ REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.ca });
    try {
      const account = uniqueName('acct');
      const profileKey = keys.profile(account);
      const history = keys.history(account);
      await store.write([
        { op: 'set', key: profileKey, value: '{}' },
        { op: 'set', key: history, value: 'h1', ttlMs: 60_000, guard: profileKey },
        { op: 'cas', key: history, expect: 'h1', value: 'h2' },
        { op: 'setnx', key: keys.event(account, 'e1'), value: '1', ttlMs: 60_000, guard: profileKey },
      ]);
      expect(await store.read([profileKey, history, keys.failures(account)])).toEqual([
        '{}',
        'h2',
        undefined,
      ]);
      expect(
        await store.claim([
          { key: keys.delivery(account, 'al', 'email', 'x'), value: 'me', ttlMs: 60_000 },
          { key: keys.event(account, 'e1'), value: 'me', ttlMs: 60_000 },
        ]),
      ).toEqual([true, false]);
      expect(await store.deleteAccount(account)).toBe(4);
      expect(await redis.admin.keys(`${accountPrefix(account)}*`)).toEqual([]);
      // Only what the server recorded as refused would show a command the store needs and lacks.
      expect(await refusedCommands(redis)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('takes the user and password from REDIS_USERNAME and REDIS_PASSWORD too', async () => {
    const store = storeFrom({
      REDIS_URL: `rediss://127.0.0.1:${redis.port}`,
      REDIS_TLS_CA_FILE: redis.files.ca,
      REDIS_USERNAME: STORE_USER,
      REDIS_PASSWORD: redis.storePassword,
    });
    try {
      await store.ping();
      const key = `${keys.profile(uniqueName('acct'))}`;
      await store.write([{ op: 'set', key, value: 'v', ttlMs: 10_000 }]);
      // Without them the connection would be the password-protected `default` user's: NOAUTH.
      expect(await store.read([key])).toEqual(['v']);
    } finally {
      await store.close();
    }
  });

  it('alerts and emails end to end through the pipeline, and Redis refuses none of its commands', async () => {
    await redis.admin.acl('LOG', 'RESET');
    const t = await startTestPipeline('redis', {
      env: { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.ca },
    });
    const account = uniqueName('acct');
    try {
      const alerts = await t.watch('loginAlerts');
      await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
      await t.profileApplied(account);
      const event = signIn(account);
      await t.publish('authEvents', [{ key: account, value: event }]);
      await alerts.waitFor(1, account);
      const alert = alerts.values.find((v) => v.key === account)?.value as LoginAlert;
      expect(alert.event_id).toBe(event.event_id);
      const emails = await waitForEmail(t.config.outboxDir!, account, 'new_login');
      expect(emails).toHaveLength(1);
      // The dispatcher's delivery record and the decision's markers live in the TLS server, as la:*.
      await waitUntil(
        'the delivery records in Redis',
        async () => (await redis.admin.keys(`${accountPrefix(account)}d:*`)).length > 0,
        20_000,
      );
      expect((await redis.admin.keys('*')).every((k) => k.startsWith('la:'))).toBe(true);
      // A tombstone removes every key of the account (SCAN + UNLINK as the ACL user).
      await t.publish('accountSecurity', [{ key: account, value: null }]);
      await waitUntil(
        'no key left for the account',
        async () => (await redis.admin.keys(`${accountPrefix(account)}*`)).length === 0,
        20_000,
      );
      expect(await refusedCommands(redis)).toEqual([]);
    } finally {
      await t.stop();
      await rm(t.config.outboxDir!, { recursive: true, force: true });
    }
  });

  it('the ACL user can touch no key outside la: and run no administrative command', async () => {
    const user = new Redis(redis.url, {
      tls: { ca: await readFile(redis.files.ca) },
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
    });
    user.on('error', () => {});
    try {
      await redis.admin.set('not-ours', 'secret');
      await expect(user.get('not-ours')).rejects.toThrow(/NOPERM/);
      await expect(user.set('not-ours', 'x')).rejects.toThrow(/NOPERM/);
      await expect(user.del('not-ours')).rejects.toThrow(/NOPERM/);
      // A script is held to the same keys: declared ones, and the ones it reaches itself.
      await expect(user.eval("return redis.call('GET', KEYS[1])", 1, 'not-ours')).rejects.toThrow(/NOPERM/);
      await expect(user.eval("return redis.call('GET', 'not-ours')", 0)).rejects.toThrow(
        /can't access at least one of the keys/,
      );
      await expect(user.flushall()).rejects.toThrow(/NOPERM/);
      await expect(user.config('GET', 'requirepass')).rejects.toThrow(/NOPERM/);
      await expect(user.keys('*')).rejects.toThrow(/NOPERM/);
      expect(await redis.admin.get('not-ours')).toBe('secret');

      const store = storeFrom({ REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.ca });
      try {
        const err = await rejection(store.read(['not-ours']));
        expect(err.code).toBe('STORE_REFUSED');
        expect(err.message).toMatch(/Redis user lacks a permission.*NOPERM/);
      } finally {
        await store.close();
      }
    } finally {
      user.disconnect();
      await redis.admin.del('not-ours');
    }
  });

  it('a wrong password stops the start with a configuration error naming REDIS_URL, without the password', async () => {
    const wrong = redis.url.replace(redis.storePassword, 'not-the-password-42');
    const err = await rejection(
      startTestPipeline('redis', { env: { REDIS_URL: wrong, REDIS_TLS_CA_FILE: redis.files.ca } }),
    );
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/^REDIS_URL: Redis refused the user or password: WRONGPASS/);
    expect(err.message).not.toContain('not-the-password-42');
  });

  it('`run` exits 2 on a wrong REDIS_PASSWORD and prints no password', () => {
    const out = spawnSync(process.execPath, [bin, 'run'], {
      env: {
        PATH: process.env.PATH,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        ALERT_LINK_SECRET: 'test-secret-test-secret-test-secret-0123',
        PUBLIC_BASE_URL: 'https://alerts.example.com',
        HTTP_PORT: '0',
        ADMIN_PORT: '0',
        REDIS_URL: `rediss://127.0.0.1:${redis.port}`,
        REDIS_TLS_CA_FILE: redis.files.ca,
        REDIS_USERNAME: STORE_USER,
        REDIS_PASSWORD: 'wrong-password-77',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = `${out.stdout}${out.stderr}`;
    expect(out.status).toBe(2);
    expect(output).toContain('REDIS_USERNAME, REDIS_PASSWORD: Redis refused the user or password: WRONGPASS');
    expect(output).not.toContain('wrong-password-77');
  });

  it('a server certificate from another CA stops the start naming REDIS_TLS_CA_FILE', async () => {
    const err = await rejection(
      startTestPipeline('redis', { env: { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.otherCa } }),
    );
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(
      /^REDIS_TLS_CA_FILE: the TLS handshake with Redis failed: self-signed certificate/,
    );
    expect(err.message).not.toContain(redis.storePassword);
  });

  it('serves no plaintext client: redis:// to the TLS port is a store failure', async () => {
    const plain = createRedisStore(redis.url.replace('rediss://', 'redis://'));
    try {
      const err = await rejection(plain.ping());
      expect(err.code).toBe('STORE_UNAVAILABLE');
      expect(err.message).toMatch(/^redis ping failed: redis is \w+: /);
    } finally {
      await plain.close();
    }
  });

  it('turns readiness false naming Redis while the password is refused, and true again once it is back', async () => {
    const t = await startTestPipeline('redis', {
      env: { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.ca },
      only: ['alert-feed'],
    });
    const health = () => t.pipeline.services.health.snapshot().store;
    try {
      // The password changes on the server and the store's connections are dropped.
      await redis.admin.acl('SETUSER', STORE_USER, 'resetpass', '>rotated-password');
      await redis.admin.client('KILL', 'USER', STORE_USER);
      // Between the dropped connection and the refused reconnect the probe may see it unavailable.
      await waitUntil(
        'the store probe to report the refusal',
        async () => health()?.code === 'STORE_REFUSED',
        20_000,
        () => JSON.stringify(health()),
      );
      expect(health()?.ok).toBe(false);
      expect(health()?.detail).toMatch(/^redis: Redis refused the user or password: WRONGPASS/);
      expect(JSON.stringify(t.pipeline.services.health.snapshot())).not.toContain(redis.storePassword);
      await redis.admin.acl('SETUSER', STORE_USER, 'resetpass', `>${redis.storePassword}`);
      await waitUntil('the store probe to recover', async () => health()?.ok === true, 20_000);
    } finally {
      await redis.admin.acl('SETUSER', STORE_USER, 'resetpass', `>${redis.storePassword}`);
      await t.stop();
      await rm(t.config.outboxDir!, { recursive: true, force: true });
    }
  });
});

describe('Redis over TLS that asks for a client certificate', () => {
  let redis: TlsRedis;
  beforeAll(async () => {
    redis = await startTlsRedis({ authClients: 'yes' });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('connects with REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE, and is refused without them', async () => {
    const base = { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.files.ca };
    const withCert = storeFrom({
      ...base,
      REDIS_TLS_CERT_FILE: redis.files.clientCert,
      REDIS_TLS_KEY_FILE: redis.files.clientKey,
    });
    const without = storeFrom(base);
    try {
      await withCert.ping();
      const err = await rejection(without.ping());
      expect(err.code).toBe('STORE_REFUSED');
      expect(err.message).toMatch(/TLS handshake with Redis failed/);
    } finally {
      await withCert.close();
      await without.close();
    }
  });
});

/** Waits for `account`'s email lines of one kind in the outbox. */
async function waitForEmail(dir: string, account: string, kind: string): Promise<unknown[]> {
  let mine: unknown[] = [];
  await waitUntil(
    `an email for ${account} in the outbox`,
    async () => {
      mine = (await outboxLines<{ account_id: string; kind: string }>(dir)).filter(
        (e) => e.account_id === account && e.kind === kind,
      );
      return mine.length > 0;
    },
    20_000,
  );
  return mine;
}
