import { LRUCache } from 'lru-cache';
import { accountPrefix } from './keys.js';
import type { Store, WriteOp } from './store.js';

/**
 * A compact copy of a key. Keys are built by concatenation (keys.ts), which V8 keeps as a tree of
 * string pieces plus the sliced digest's parent string; a stored key would hold all of them, about
 * twice the memory of one flat string (1M session markers: ~390 MB against ~190 MB).
 */
const compact = (key: string): string => JSON.parse(JSON.stringify(key)) as string;

/**
 * In-process store: bounded by an LRU (max keys) plus per-key TTL, so a flood of sessions
 * evicts the least recently used markers instead of growing without limit. Not shared between
 * processes and lost on restart: for one process, demos and tests. Use Redis in production.
 */
export function createMemoryStore(opts: { maxKeys?: number } = {}): Store {
  const cache = new LRUCache<string, string>({ max: opts.maxKeys ?? 2_000_000, ttlAutopurge: false });

  const apply = (op: WriteOp): void => {
    if (op.op !== 'del' && op.guard !== undefined && !cache.has(op.guard)) return;
    if (op.op === 'del') cache.delete(op.key);
    else if (op.op === 'setnx') {
      if (!cache.has(op.key)) cache.set(compact(op.key), op.value, { ttl: op.ttlMs });
    } else cache.set(compact(op.key), op.value, op.ttlMs ? { ttl: op.ttlMs } : { ttl: 0 });
  };

  return {
    kind: 'memory',
    async read(keys) {
      return keys.map((k) => cache.get(k));
    },
    async write(ops) {
      for (const op of ops) apply(op);
    },
    async claim(entries) {
      return entries.map((e) => {
        if (cache.has(e.key)) return false;
        cache.set(compact(e.key), e.value, { ttl: e.ttlMs });
        return true;
      });
    },
    async deleteAccount(accountId) {
      const prefix = accountPrefix(accountId);
      let removed = cache.delete(`${prefix}profile`) ? 1 : 0;
      // Tombstones are rare; a scan of the keys is acceptable here and keeps writes index-free.
      for (const key of [...cache.keys()]) {
        if (key.startsWith(prefix)) {
          cache.delete(key);
          removed++;
        }
      }
      return removed;
    },
    async ping() {},
    async close() {
      cache.clear();
    },
  };
}
