import { LRUCache } from 'lru-cache';
import { accountPrefix, isDurableKey, isLinkUsedKey } from './keys.js';
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
 * by the number of accounts and removed by tombstones (deleteAccount). The Shared Signals streams and
 * their queues are held there too (bounded by the streams receivers create and SSF_MAX_BACKLOG).
 *
 * Link-use claims (the single-use marks of report links) are held apart too, until their TTL: an
 * evicted claim would let a "This wasn't me" link be confirmed twice. They are bounded by the links
 * people confirm (each needs a sealed token from an alert) and swept when they expire.
 */
export function createMemoryStore(opts: { maxKeys?: number } = {}): Store {
  const tiers = createTiers(opts.maxKeys ?? 2_000_000);
  const { cache, markers, profiles } = tiers;
  return {
    kind: 'memory',
    async read(keys) {
      return keys.map(tiers.get);
    },
    async write(ops) {
      for (const op of ops) apply(tiers, op);
    },
    async claim(entries) {
      return entries.map((e) => {
        if (tiers.has(e.key)) return false;
        tiers.setValue(e.key, e.value, e.ttlMs);
        return true;
      });
    },
    async deleteAccount(accountId) {
      // One call, nothing in between: no guarded write can land between the profile and the rest.
      return removePrefix(tiers, accountPrefix(accountId));
    },
    async deletePrefix(prefix) {
      return removePrefix(tiers, prefix);
    },
    async ping() {},
    async close() {
      cache.clear();
      markers.clear();
      profiles.clear();
      tiers.linkClaims.clear();
    },
  };
}

/** The four tiers (LRU, markers, profiles, link claims) and the reads and writes that span them. */
interface Tiers {
  cache: LRUCache<string, string>;
  markers: Map<string, number>;
  profiles: Map<string, string>;
  /** Link-use claims: key → value and expiry (epoch ms); never evicted, only expired. */
  linkClaims: Map<string, { value: string; expiresAt: number }>;
  /** Milliseconds a key has left (Infinity: no TTL; 0: none or gone). */
  remainingTtl(key: string): number;
  has(key: string): boolean;
  get(key: string): string | undefined;
  /** A set-if-absent `'1'` marker with a TTL; the oldest marker goes beyond `maxKeys`. */
  mark(key: string, ttlMs: number): void;
  setValue(key: string, value: string, ttlMs: number): void;
}

function createTiers(maxKeys: number): Tiers {
  // Other state is per account or per delivery, far fewer keys than sessions; the LRU allocates
  // its bookkeeping for its whole bound up front, so a smaller bound is memory saved from the start.
  const cache = new LRUCache<string, string>({
    max: Math.max(100, Math.ceil(maxKeys / 4)),
    ttlAutopurge: false,
  });
  const markers = new Map<string, number>();
  const profiles = new Map<string, string>();
  const linkClaims = new Map<string, { value: string; expiresAt: number }>();
  // Expired claims are swept whenever the map has doubled since the last sweep: amortised O(1).
  let sweepAt = 1_024;
  const claimHit = (key: string): string | undefined => {
    const claim = linkClaims.get(key);
    if (claim === undefined) return undefined;
    if (claim.expiresAt > Date.now()) return claim.value;
    linkClaims.delete(key);
    return undefined;
  };
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
  return {
    cache,
    markers,
    profiles,
    linkClaims,
    has: (key) => profiles.has(key) || cache.has(key) || markerHit(key) || claimHit(key) !== undefined,
    get: (key) => profiles.get(key) ?? cache.get(key) ?? (markerHit(key) ? '1' : claimHit(key)),
    remainingTtl(key) {
      const claim = linkClaims.get(key);
      return claim === undefined ? cache.getRemainingTTL(key) : Math.max(0, claim.expiresAt - Date.now());
    },
    mark(key, ttlMs) {
      markers.set(compact(key), expiryTick(ttlMs));
      if (markers.size > maxKeys) markers.delete(markers.keys().next().value as string);
    },
    setValue(key, value, ttlMs) {
      // Profiles carry no TTL: they live until a tombstone.
      if (isDurableKey(key)) profiles.set(compact(key), value);
      else if (isLinkUsedKey(key)) {
        // A TTL of 0 means none, as in the LRU: the claim then lasts until deleted.
        linkClaims.set(compact(key), { value, expiresAt: ttlMs > 0 ? Date.now() + ttlMs : Infinity });
        if (linkClaims.size >= sweepAt) {
          const now = Date.now();
          for (const [k, c] of linkClaims) if (c.expiresAt <= now) linkClaims.delete(k);
          sweepAt = Math.max(1_024, linkClaims.size * 2);
        }
      } else cache.set(compact(key), value, { ttl: ttlMs });
    },
  };
}

function apply(tiers: Tiers, op: WriteOp): void {
  const { cache, markers, profiles } = tiers;
  if (op.op === 'cas') {
    if (tiers.get(op.key) !== op.expect) return;
    const left = tiers.remainingTtl(op.key);
    markers.delete(op.key);
    tiers.setValue(op.key, op.value, Number.isFinite(left) ? left : 0);
    return;
  }
  if (op.op !== 'del' && op.guard !== undefined && !tiers.has(op.guard)) return;
  if (op.op === 'del') {
    profiles.delete(op.key);
    cache.delete(op.key);
    markers.delete(op.key);
    tiers.linkClaims.delete(op.key);
  } else if (op.op === 'setnx') {
    if (tiers.has(op.key)) return;
    if (op.value === '1' && !isDurableKey(op.key) && !isLinkUsedKey(op.key)) tiers.mark(op.key, op.ttlMs);
    else tiers.setValue(op.key, op.value, op.ttlMs);
  } else {
    markers.delete(op.key);
    tiers.setValue(op.key, op.value, op.ttlMs ?? 0);
  }
}

/** Removes every key starting with `prefix`, from every tier; the number removed. */
function removePrefix(tiers: Tiers, prefix: string): number {
  let removed = 0;
  // Removals are rare; a scan of the keys is acceptable here and keeps writes index-free.
  for (const map of [tiers.profiles, tiers.cache, tiers.linkClaims, tiers.markers]) {
    for (const key of [...map.keys()]) {
      if (key.startsWith(prefix)) {
        map.delete(key);
        removed++;
      }
    }
  }
  return removed;
}
