import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { accountPrefix } from './keys.js';
import type { WriteOp } from './store.js';

/**
 * The commands both Redis stores send (one server or a Cluster): how a write becomes a command, the
 * two Lua scripts, how an account's keys are found and removed, and how a failure is reported. The
 * stores differ only in how a batch is split into pipelines.
 */

/** A pipeline with the store's two scripts defined on its client. */
export type StorePipeline = ChainableCommander & {
  setGuarded(key: string, guard: string, value: string, ttlMs: string, mode: string): void;
  setIfEqual(key: string, expect: string, value: string): void;
};

/** Any failure of a store call as the retryable STORE_UNAVAILABLE; an AppError already raised stays as it is. */
export function storeError(what: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('STORE_UNAVAILABLE', `redis ${what} failed: ${(err as Error).message}`, {
    retryable: true,
    cause: err,
  });
}

/**
 * Connects on first use (and again once the client is in one of `reconnectFrom`); one connect at a
 * time; throws unless ready.
 */
export function connectOnce(
  client: Redis | Cluster,
  reconnectFrom: readonly string[],
  name: string,
): () => Promise<void> {
  let connecting: Promise<void> | undefined;
  return async () => {
    if (client.status === 'ready') return;
    if (reconnectFrom.includes(client.status)) {
      connecting ??= client.connect().finally(() => {
        connecting = undefined;
      });
      await connecting;
    }
    const status: string = client.status;
    if (status !== 'ready') throw new Error(`${name} is ${status}`);
  };
}

/**
 * Runs `fn` once the client is ready; any failure becomes STORE_UNAVAILABLE (see `storeError`), or the
 * StoreRefused `explain` makes of it, after `failed` has been told of it.
 */
export function guarded(
  ready: () => Promise<void>,
  failed: (err: unknown) => void = () => {},
  explain: (err: unknown) => unknown = (err) => err,
) {
  return async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      await ready();
      return await fn();
    } catch (err) {
      failed(err);
      throw storeError(what, explain(err));
    }
  };
}

/** Executes a pipeline; the first command that failed fails the whole batch. */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Adds one write to a pipeline: plain SET / SET NX / DEL, or one of the two scripts. */
export function addWrite(p: StorePipeline, op: WriteOp): void {
  if (op.op === 'cas') p.setIfEqual(op.key, op.expect, op.value);
  else if (op.op !== 'del' && op.guard !== undefined) {
    p.setGuarded(op.key, op.guard, op.value, String(op.ttlMs ?? 0), op.op === 'setnx' ? 'NX' : '');
  } else if (op.op === 'del') p.del(op.key);
  else if (op.op === 'setnx') p.set(op.key, op.value, 'PX', op.ttlMs, 'NX');
  else if (op.ttlMs) p.set(op.key, op.value, 'PX', op.ttlMs);
  else p.set(op.key, op.value);
}

/** Adds a claim (set if absent, with a lease) to a pipeline; its reply is 'OK' when it was taken. */
export function addClaim(p: ChainableCommander, e: { key: string; value: string; ttlMs: number }): void {
  p.set(e.key, e.value, 'PX', e.ttlMs, 'NX');
}

/** Defines the store's two scripts on a client (a Cluster passes them on to every node). */
export function defineScripts(client: Redis | Cluster): void {
  // SET guarded by the existence of another key (the account's profile), atomically. Both keys are
  // one account's, so they share a hash slot and the script runs on one Cluster node.
  client.defineCommand('setGuarded', {
    numberOfKeys: 2,
    lua: `if redis.call('EXISTS', KEYS[2]) == 0 then return nil end
      if ARGV[3] == 'NX' then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') end
      if ARGV[2] == '0' then return redis.call('SET', KEYS[1], ARGV[1]) end
      return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`,
  });
  // Compare-and-set: replaces the value only while it is exactly the one the caller read.
  client.defineCommand('setIfEqual', {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end
      return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')`,
  });
}

/** The SCAN pattern of one account's keys, glob characters escaped so an id cannot widen it. */
export function accountPattern(accountId: string): string {
  return `${accountPrefix(accountId).replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/** SCANs one server for `pattern` and unlinks what it finds; the number removed. */
export async function unlinkMatching(node: Redis, pattern: string): Promise<number> {
  let removed = 0;
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await node.unlink(...found);
  } while (cursor !== '0');
  return removed;
}
