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
 * In-process store: bounded (max keys) plus per-key TTL, so a flood of sessions evicts old entries
 * instead of growing without limit. Not shared between processes and lost on restart: for one
 * process, demos and tests. Use Redis in production.
 *
 * Two tiers. Markers — set-if-absent `'1'` with a TTL: the seen sessions and events, nearly every key —
 * live in an insertion-ordered Map of key → expiry tick (a small integer V8 keeps inline, no object
 * per entry), oldest evicted first: about half the memory of an LRU entry, which is what keeps one
 * million sessions well under 300 MB. Everything else (profiles, histories, claims) is in an LRU
 * bounded to a quarter of `maxKeys`.
 */
export function createMemoryStore(opts: { maxKeys?: number } = {}): Store {
  const maxKeys = opts.maxKeys ?? 2_000_000;
  // Other state is per account or per delivery, far fewer keys than sessions; the LRU allocates
  // its bookkeeping for its whole bound up front, so a smaller bound is memory saved from the start.
  const cache = new LRUCache<string, string>({
    max: Math.max(100, Math.ceil(maxKeys / 4)),
    ttlAutopurge: false,
  });
  const markers = new Map<string, number>();
  const epoch = Date.now();
  /** Tenths of a second since the store started, rounded up: a small integer for three years. */
  const expiryTick = (ttlMs: number) => Math.ceil((Date.now() - epoch + ttlMs) / 100);
  const nowTick = () => (Date.now() - epoch) / 100;

  const markerHit = (key: string): boolean => {
    const expiry = markers.get(key);
    if (expiry === undefined) return false;
    if (expiry > nowTick()) return true;
    markers.delete(key);
    return false;
  };
  const has = (key: string) => cache.has(key) || markerHit(key);
  const mark = (key: string, ttlMs: number) => {
    markers.set(compact(key), expiryTick(ttlMs));
    if (markers.size > maxKeys) markers.delete(markers.keys().next().value as string);
  };

  const apply = (op: WriteOp): void => {
    if (op.op !== 'del' && op.guard !== undefined && !has(op.guard)) return;
    if (op.op === 'del') {
      cache.delete(op.key);
      markers.delete(op.key);
    } else if (op.op === 'setnx') {
      if (has(op.key)) return;
      if (op.value === '1') mark(op.key, op.ttlMs);
      else cache.set(compact(op.key), op.value, { ttl: op.ttlMs });
    } else {
      markers.delete(op.key);
      cache.set(compact(op.key), op.value, op.ttlMs ? { ttl: op.ttlMs } : { ttl: 0 });
    }
  };

  return {
    kind: 'memory',
    async read(keys) {
      return keys.map((k) => cache.get(k) ?? (markerHit(k) ? '1' : undefined));
    },
    async write(ops) {
      for (const op of ops) apply(op);
    },
    async claim(entries) {
      return entries.map((e) => {
        if (has(e.key)) return false;
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
      for (const key of [...markers.keys()]) {
        if (key.startsWith(prefix)) {
          markers.delete(key);
          removed++;
        }
      }
      return removed;
    },
    async ping() {},
    async close() {
      cache.clear();
      markers.clear();
    },
  };
}
