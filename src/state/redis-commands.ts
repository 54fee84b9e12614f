import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { WriteOp } from './store.js';

/**
 * The commands both Redis stores send (one server or a Cluster): how a write becomes a command, the
 * two Lua scripts, how an account's keys are found and removed, and how a failure is reported. The
 * stores differ only in how a batch is split into pipelines.
 */

/** A pipeline with the store's two scripts defined on its client. */
export type StorePipeline = ChainableCommander & {
  /** `setGuarded(keyCount, guard, key1…keyN, …, n, value1, ttlMs1, mode1, …, …)`: see defineScripts. */
  setGuarded(...args: (string | number)[]): void;
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

type GuardedWrite = Extract<WriteOp, { op: 'set' | 'setnx' }> & { guard: string };

const isGuarded = (op: WriteOp): op is GuardedWrite =>
  op.op !== 'del' && op.op !== 'cas' && op.guard !== undefined;

/**
 * Adds writes to a pipeline, in order: plain SET / SET NX / DEL, compare-and-set, and guarded writes.
 * Each run of consecutive writes under one guard (one account's writes for one event or delivery) is
 * one run of the guarded-write script. With `sameSlotOnly` (a Cluster, where a script's keys must share
 * a hash slot) each run is a script call of its own; otherwise consecutive runs of any guards (a batch
 * of deliveries' marks, each account's) are one call of up to MAX_KEYS_PER_CALL keys, so a batch costs
 * one command, not one per account.
 */
export function addWrites(p: StorePipeline, ops: readonly WriteOp[], { sameSlotOnly = false } = {}): void {
  let keys: string[] = [];
  let args: string[] = [];
  const flush = () => {
    if (keys.length === 0) return;
    p.setGuarded(keys.length, ...keys, ...args);
    keys = [];
    args = [];
  };
  for (let i = 0; i < ops.length; ) {
    const op = ops[i] as WriteOp;
    if (!isGuarded(op)) {
      flush();
      addWrite(p, op);
      i++;
      continue;
    }
    let end = i + 1;
    while (
      end < ops.length &&
      isGuarded(ops[end] as WriteOp) &&
      (ops[end] as GuardedWrite).guard === op.guard
    )
      end++;
    if (sameSlotOnly || keys.length + 1 + (end - i) > MAX_KEYS_PER_CALL) flush();
    keys.push(op.guard);
    args.push(String(end - i));
    for (let j = i; j < end; j++) {
      const w = ops[j] as GuardedWrite;
      keys.push(w.key);
      args.push(w.value, String(w.ttlMs ?? 0), w.op === 'setnx' ? 'NX' : '');
    }
    i = end;
  }
  flush();
}

/**
 * A script call holds at most this many keys, unless one run alone is longer: Redis runs a script
 * alone, so a call's length is bounded.
 */
const MAX_KEYS_PER_CALL = 512;

function addWrite(p: StorePipeline, op: Exclude<WriteOp, GuardedWrite>): void {
  if (op.op === 'cas') p.setIfEqual(op.key, op.expect, op.value);
  else if (op.op === 'del') p.del(op.key);
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
  // SETs guarded by the existence of another key (the account's profile), atomically, in runs: each
  // run is a guard, then the keys it writes. KEYS holds every run's guard and keys in turn; ARGV each
  // run's key count, then a (value, ttlMs, mode) triple per key ('0': no expiry; 'NX': only if
  // absent). A run whose guard is gone writes nothing; the others are written. A run's keys are one
  // account's, so they share a hash slot (on a Cluster each call carries one run). Returns how many
  // runs were written.
  client.defineCommand('setGuarded', {
    lua: `local k, a, written = 1, 1, 0
      while k <= #KEYS do
        local n = tonumber(ARGV[a])
        a = a + 1
        if redis.call('EXISTS', KEYS[k]) == 1 then
          for i = 1, n do
            local key, value, ttl, mode = KEYS[k + i], ARGV[a], ARGV[a + 1], ARGV[a + 2]
            if mode == 'NX' then redis.call('SET', key, value, 'PX', ttl, 'NX')
            elseif ttl == '0' then redis.call('SET', key, value)
            else redis.call('SET', key, value, 'PX', ttl) end
            a = a + 3
          end
          written = written + 1
        else
          a = a + 3 * n
        end
        k = k + n + 1
      end
      return written`,
  });
  // Compare-and-set: replaces the value only while it is exactly the one the caller read.
  client.defineCommand('setIfEqual', {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end
      return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')`,
  });
}

/** SCANs one server for every key starting with `prefix` and unlinks them; the number removed. */
export async function unlinkPrefix(node: Redis, prefix: string): Promise<number> {
  // Glob characters in the prefix are escaped, so no id can widen the match.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await node.unlink(...found);
  } while (cursor !== '0');
  return removed;
}
