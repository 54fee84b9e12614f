import { Redis } from 'ioredis';
import type { RedisSecurity } from '../config/redis-tls.js';
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
import type { Store } from './store.js';

/**
 * Redis store: every batch method is one pipeline (one round trip). Connection loss surfaces as a
 * retryable STORE_UNAVAILABLE so consumers stop committing and wait instead of dropping events.
 */
export function createRedisStore(
  url: string,
  opts: { commandTimeoutMs?: number; security?: RedisSecurity } = {},
): Store {
  const redis = openRedis(url, opts.commandTimeoutMs ?? 2_000, opts.security);
  const failures = explainFailures(redis, 'redis');
  const guard = guarded(connectOnce(redis, ['wait', 'end'], 'redis'), undefined, failures.explain);

  return {
    kind: 'redis',
    read: (keys) =>
      guard('read', async () => {
        if (keys.length === 0) return [];
        const values = await redis.mget(...keys);
        return values.map((v) => v ?? undefined);
      }),
    write: (ops) =>
      guard('write', async () => {
        if (ops.length === 0) return;
        const p = redis.pipeline() as StorePipeline;
        addWrites(p, ops);
        await execPipeline(p);
      }),
    claim: (entries) =>
      guard('claim', async () => {
        if (entries.length === 0) return [];
        const p = redis.pipeline();
        for (const e of entries) addClaim(p, e);
        return (await execPipeline(p)).map((r) => r === 'OK');
      }),
    deleteAccount: (accountId) =>
      guard('deleteAccount', async () => {
        // The profile goes first: guarded writes racing with this deletion then write nothing.
        const removed = await redis.unlink(`${accountPrefix(accountId)}profile`);
        return removed + (await unlinkPrefix(redis, accountPrefix(accountId)));
      }),
    deletePrefix: (prefix) => guard('deletePrefix', () => unlinkPrefix(redis, prefix)),
    ping: () =>
      guard('ping', async () => {
        await redis.ping();
      }),
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * A lazily connected client with the store's two scripts defined; failed reconnects stay quiet. It
 * sends only the store's own commands (no INFO ready check, no CLIENT SETINFO), so an ACL user limited
 * to them and to `la:*` keys is enough; a server still loading answers LOADING, a retryable failure.
 */
function openRedis(url: string, commandTimeoutMs: number, security: RedisSecurity | undefined): Redis {
  const redis = new Redis(url, {
    ...securityOptions(security),
    lazyConnect: true,
    enableReadyCheck: false,
    disableClientInfo: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // ioredis emits 'error' on every failed reconnect; the consumers report unavailability instead.
  redis.on('error', () => {});
  defineScripts(redis);
  return redis;
}
