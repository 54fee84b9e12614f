import type { AnonymousIPResponse, AsnResponse, CityResponse } from 'maxmind';
import type { Geo } from '../contracts/login-alert.js';
import { cleanText, strictText } from './text.js';

/** Geo fields a database can contribute; `network` is decided before any lookup. */
export type GeoFields = Omit<Geo, 'network'>;

/**
 * DB-IP Lite gives no accuracy radius. Its city-level data is roughly metro-area precise, so a
 * record with a city gets 100 km (MaxMind's typical city radius); coordinates without a city are a
 * country or region centroid and get 1000 km.
 */
export const DBIP_CITY_ACCURACY_KM = 100;
export const DBIP_COUNTRY_ACCURACY_KM = 1000;

const NAME_LENGTH = 100;

/** The flat record shape of the ip-location-db DB-IP Lite city files. */
export interface DbipCityRecord {
  country_code?: string;
  state1?: string;
  state2?: string;
  city?: string;
  postcode?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

/** Maps a City record of either schema (GeoIP2/GeoLite2 nested, or DB-IP flat) to `Geo` fields. */
export function mapCityRecord(record: unknown): GeoFields {
  if (record === null || typeof record !== 'object') return {};
  return isDbip(record) ? mapDbip(record) : mapGeoip2(record as CityResponse);
}

function isDbip(record: object): record is DbipCityRecord {
  return 'country_code' in record || 'state1' in record;
}

function mapGeoip2(r: CityResponse): GeoFields {
  const code = countryCode(r.country?.iso_code);
  return {
    country_code: code,
    country_name: strictText(r.country?.names?.en, NAME_LENGTH) ?? countryName(code),
    region: strictText(r.subdivisions?.[0]?.names?.en, NAME_LENGTH),
    city: strictText(r.city?.names?.en, NAME_LENGTH),
    latitude: coordinate(r.location?.latitude, 90),
    longitude: coordinate(r.location?.longitude, 180),
    accuracy_radius_km: positive(r.location?.accuracy_radius),
    time_zone: cleanText(r.location?.time_zone, NAME_LENGTH),
    // Enterprise and ISP-enriched City databases carry the AS in traits; a separate ASN database wins.
    asn: asNumber(r.traits?.autonomous_system_number),
    as_org: strictText(r.traits?.autonomous_system_organization, NAME_LENGTH),
  };
}

function mapDbip(r: DbipCityRecord): GeoFields {
  const code = countryCode(r.country_code);
  const city = strictText(r.city, NAME_LENGTH);
  const latitude = coordinate(r.latitude, 90);
  const longitude = coordinate(r.longitude, 180);
  const located = latitude !== undefined && longitude !== undefined;
  return {
    country_code: code,
    country_name: countryName(code),
    region: strictText(r.state1, NAME_LENGTH),
    city,
    latitude,
    longitude,
    accuracy_radius_km: !located ? undefined : city ? DBIP_CITY_ACCURACY_KM : DBIP_COUNTRY_ACCURACY_KM,
    time_zone: cleanText(r.timezone, NAME_LENGTH),
  };
}

/** Maps a GeoLite2/GeoIP2 ASN record. */
export function mapAsnRecord(record: AsnResponse | null): GeoFields {
  if (record === null || typeof record !== 'object') return {};
  return {
    asn: asNumber(record.autonomous_system_number),
    as_org: strictText(record.autonomous_system_organization, NAME_LENGTH),
  };
}

/**
 * Maps a GeoIP2 Anonymous IP record. No record in a configured database is a known negative,
 * so every flag is then false; without the database the flags stay unknown (absent).
 */
export function mapAnonymousRecord(record: AnonymousIPResponse | null): GeoFields {
  const r = record !== null && typeof record === 'object' ? record : {};
  return {
    is_anonymous: r.is_anonymous === true,
    is_anonymous_vpn: r.is_anonymous_vpn === true,
    is_hosting_provider: r.is_hosting_provider === true,
    is_public_proxy: r.is_public_proxy === true,
    is_residential_proxy: r.is_residential_proxy === true,
    is_tor_exit_node: r.is_tor_exit_node === true,
  };
}

// ZZ is "unknown" in DB-IP and CLDR; codes outside ISO 3166-1 alpha-2 shape are dropped.
function countryCode(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value)) return undefined;
  const code = value.toUpperCase();
  return code === 'ZZ' ? undefined : code;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const nameCache = new Map<string, string | undefined>();

/** English country name for an ISO 3166-1 alpha-2 code, from the runtime's CLDR data. */
export function countryName(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (nameCache.has(code)) return nameCache.get(code);
  let name: string | undefined;
  try {
    name = cleanText(regionNames.of(code), NAME_LENGTH);
  } catch {
    name = undefined; // not a region code CLDR knows: leave the name out, keep the code
  }
  nameCache.set(code, name);
  return name;
}

// DB-IP stores float32 coordinates (37.422000885009766); four decimals (~11 m) is all either source means.
function coordinate(value: unknown, limit: number): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > limit) return undefined;
  return Math.round(value * 10_000) / 10_000;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
