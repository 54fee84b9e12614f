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
  /** `setGuarded(n + 1, guard, key1…keyN, value1, ttlMs1, mode1, …)`: see defineScripts. */
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
 * Adds writes to a pipeline, in order: plain SET / SET NX / DEL, compare-and-set, and guarded writes,
 * where each run of consecutive writes under the same guard (one account's writes for one event or
 * delivery) is one script call rather than one per key.
 */
export function addWrites(p: StorePipeline, ops: readonly WriteOp[]): void {
  for (let i = 0; i < ops.length; ) {
    const op = ops[i] as WriteOp;
    if (!isGuarded(op)) {
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
    const run = ops.slice(i, end) as GuardedWrite[];
    p.setGuarded(
      run.length + 1,
      op.guard,
      ...run.map((w) => w.key),
      ...run.flatMap((w) => [w.value, String(w.ttlMs ?? 0), w.op === 'setnx' ? 'NX' : '']),
    );
    i = end;
  }
}

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
  // SETs guarded by the existence of another key (the account's profile), atomically: KEYS[1] is the
  // guard, KEYS[2..] the keys written, ARGV a (value, ttlMs, mode) triple per key ('0': no expiry;
  // 'NX': only if absent). All keys are one account's, so they share a hash slot and the script runs
  // on one Cluster node. Nothing is written when the guard is gone.
  client.defineCommand('setGuarded', {
    lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      for i = 2, #KEYS do
        local j = (i - 2) * 3
        if ARGV[j + 3] == 'NX' then redis.call('SET', KEYS[i], ARGV[j + 1], 'PX', ARGV[j + 2], 'NX')
        elseif ARGV[j + 2] == '0' then redis.call('SET', KEYS[i], ARGV[j + 1])
        else redis.call('SET', KEYS[i], ARGV[j + 1], 'PX', ARGV[j + 2]) end
      end
      return 1`,
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
