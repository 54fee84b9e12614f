import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { accountPrefix } from './keys.js';
import type { Store, WriteOp } from './store.js';

/**
 * Redis store: every batch method is one pipeline (one round trip). Connection loss surfaces as a
 * retryable STORE_UNAVAILABLE so consumers stop committing and wait instead of dropping events.
 */
export function createRedisStore(url: string, opts: { commandTimeoutMs?: number } = {}): Store {
  const redis = openRedis(url, opts.commandTimeoutMs ?? 2_000);
  const ready = connectOnce(redis);

  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      await ready();
      return await fn();
    } catch (err) {
      throw new AppError('STORE_UNAVAILABLE', `redis ${what} failed: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
  };

  const exec = async (pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> => {
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  };

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
        const p = redis.pipeline() as Pipeline;
        for (const op of ops) addWrite(p, op);
        await exec(p);
      }),
    claim: (entries) =>
      guard('claim', async () => {
        if (entries.length === 0) return [];
        const p = redis.pipeline();
        for (const e of entries) p.set(e.key, e.value, 'PX', e.ttlMs, 'NX');
        return (await exec(p)).map((r) => r === 'OK');
      }),
    deleteAccount: (accountId) => guard('deleteAccount', () => deleteAccountKeys(redis, accountId)),
    ping: () =>
      guard('ping', async () => {
        await redis.ping();
      }),
    async close() {
      redis.disconnect();
    },
  };
}

type Pipeline = ReturnType<Redis['pipeline']> & {
  setGuarded(key: string, guard: string, value: string, ttlMs: string, mode: string): void;
  setIfEqual(key: string, expect: string, value: string): void;
};

function addWrite(p: Pipeline, op: WriteOp): void {
  if (op.op === 'cas') p.setIfEqual(op.key, op.expect, op.value);
  else if (op.op !== 'del' && op.guard !== undefined) {
    p.setGuarded(op.key, op.guard, op.value, String(op.ttlMs ?? 0), op.op === 'setnx' ? 'NX' : '');
  } else if (op.op === 'del') p.del(op.key);
  else if (op.op === 'setnx') p.set(op.key, op.value, 'PX', op.ttlMs, 'NX');
  else if (op.ttlMs) p.set(op.key, op.value, 'PX', op.ttlMs);
  else p.set(op.key, op.value);
}

/** A lazily connected client with the store's two scripts defined; failed reconnects stay quiet. */
function openRedis(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // ioredis emits 'error' on every failed reconnect; the consumers report unavailability instead.
  redis.on('error', () => {});
  // SET guarded by the existence of another key (the account's profile), atomically.
  redis.defineCommand('setGuarded', {
    numberOfKeys: 2,
    lua: `if redis.call('EXISTS', KEYS[2]) == 0 then return nil end
      if ARGV[3] == 'NX' then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') end
      if ARGV[2] == '0' then return redis.call('SET', KEYS[1], ARGV[1]) end
      return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`,
  });
  // Compare-and-set: replaces the value only while it is exactly the one the caller read.
  redis.defineCommand('setIfEqual', {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end
      return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')`,
  });
  return redis;
}

/** Connects on first use (and again after a close); one connect at a time; throws unless ready. */
function connectOnce(redis: Redis): () => Promise<void> {
  let connecting: Promise<void> | undefined;
  return async () => {
    if (redis.status === 'ready') return;
    if (redis.status === 'wait' || redis.status === 'end') {
      connecting ??= redis.connect().finally(() => {
        connecting = undefined;
      });
      await connecting;
    }
    const status: string = redis.status;
    if (status !== 'ready') throw new Error(`redis is ${status}`);
  };
}

/** Removes every key of an account; the number removed. */
async function deleteAccountKeys(redis: Redis, accountId: string): Promise<number> {
  // Escape glob characters so an account id cannot widen the match.
  const pattern = `${accountPrefix(accountId).replace(/[*?[\]\\]/g, '\\$&')}*`;
  // The profile goes first: guarded writes racing with this deletion then write nothing.
  let removed = await redis.unlink(`${accountPrefix(accountId)}profile`);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await redis.unlink(...found);
  } while (cursor !== '0');
  return removed;
}
