/**
 * The state store: a tiny key-value interface, batched on purpose. Every method takes a whole
 * batch so the Redis implementation costs one round trip per batch, never one per message.
 */
export type WriteOp =
  | { op: 'set'; key: string; value: string; ttlMs?: number; guard?: string }
  /** set only when absent; used for markers so a late replay never extends or overwrites them */
  | { op: 'setnx'; key: string; value: string; ttlMs: number; guard?: string }
  | { op: 'del'; key: string }
  /** compare-and-set: `value` replaces `key` only while it holds exactly `expect` (absent: nothing) */
  | { op: 'cas'; key: string; expect: string; value: string };

/*
 * `guard`: write only while that key exists, atomically. State about an account is written guarded
 * by its profile, and deleteAccount removes the profile first, so a tombstone racing with an event
 * in flight never leaves a key behind.
 */

export interface Store {
  readonly kind: 'memory' | 'redis' | 'redis-cluster';
  /** Values for `keys` in order; undefined where absent or expired. */
  read(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Applies all writes, in order, as one pipeline. */
  write(ops: readonly WriteOp[]): Promise<void>;
  /** For each entry, sets it if absent and returns true; false when the key already existed. */
  claim(entries: readonly { key: string; value: string; ttlMs: number }[]): Promise<boolean[]>;
  /** Deletes every key held for one account, its profile first; returns how many were removed. */
  deleteAccount(accountId: string): Promise<number>;
  /**
   * Deletes every key starting with `prefix` (a scan: for rare removals, never a hot path); returns
   * how many were removed.
   */
  deletePrefix(prefix: string): Promise<number>;
  /** Throws STORE_UNAVAILABLE when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
