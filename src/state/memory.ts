import { LRUCache } from 'lru-cache';
import { accountPrefix, isProfileKey } from './keys.js';
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
 * million sessions well under 300 MB. Histories, claims and delivery marks are in an LRU bounded to
 * a quarter of `maxKeys`.
 *
 * Profiles are held apart and never evicted: an evicted profile would silently stop an enrolled
 * account's alerts, and another account's traffic must not be able to cause that. They are bounded
 * by the number of accounts and removed by tombstones (deleteAccount).
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
  const profiles = new Map<string, string>();
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
  const has = (key: string) => profiles.has(key) || cache.has(key) || markerHit(key);
  const mark = (key: string, ttlMs: number) => {
    markers.set(compact(key), expiryTick(ttlMs));
    if (markers.size > maxKeys) markers.delete(markers.keys().next().value as string);
  };

  const apply = (op: WriteOp): void => {
    if (op.op === 'cas') {
      if (get(op.key) !== op.expect) return;
      const left = cache.getRemainingTTL(op.key);
      markers.delete(op.key);
      setValue(op.key, op.value, Number.isFinite(left) ? left : 0);
      return;
    }
    if (op.op !== 'del' && op.guard !== undefined && !has(op.guard)) return;
    if (op.op === 'del') {
      profiles.delete(op.key);
      cache.delete(op.key);
      markers.delete(op.key);
    } else if (op.op === 'setnx') {
      if (has(op.key)) return;
      if (op.value === '1' && !isProfileKey(op.key)) mark(op.key, op.ttlMs);
      else setValue(op.key, op.value, op.ttlMs);
    } else {
      markers.delete(op.key);
      setValue(op.key, op.value, op.ttlMs ?? 0);
    }
  };
  const setValue = (key: string, value: string, ttlMs: number): void => {
    // Profiles carry no TTL: they live until a tombstone.
    if (isProfileKey(key)) profiles.set(compact(key), value);
    else cache.set(compact(key), value, { ttl: ttlMs });
  };
  const get = (key: string): string | undefined =>
    profiles.get(key) ?? cache.get(key) ?? (markerHit(key) ? '1' : undefined);

  return {
    kind: 'memory',
    async read(keys) {
      return keys.map(get);
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
      let removed = profiles.delete(`${prefix}profile`) ? 1 : 0;
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
      profiles.clear();
    },
  };
}
