// Display strings for one alert, localised: when, where, which device, which method, which product.
// Inputs are untrusted and arrive sanitised here, once, so every channel shows the same safe text.

import { LRUCache } from 'lru-cache';
import type { AuthMethod } from '../contracts/auth-event.js';
import type { Device, Geo, Reason } from '../contracts/login-alert.js';
import { AppError } from '../errors.js';
import type { Catalog, MessageValues } from './catalog.js';
import { EXPLAINED_REASONS } from './messages.js';
import {
  shownBrowser,
  shownMajor,
  shownModel,
  shownOs,
  shownPlace,
  shownProduct,
  shownVendor,
} from './outside-text.js';
import { clean } from './sanitize.js';

const PRODUCTS: Record<string, string> = {
  chatgpt: 'ChatGPT',
  codex: 'Codex',
  api: 'OpenAI API',
  platform: 'OpenAI Platform',
  sora: 'Sora',
};

/** A bounded memo of pure results: `memo(key, { context })` runs `context` for a key it does not hold. */
function memo<T extends {}>(max: number): LRUCache<string, T, () => T> {
  return new LRUCache<string, T, () => T>({ max, memoMethod: (_key, _stale, { context }) => context() });
}

// Intl objects cost tens of microseconds to build and nothing to reuse: one per locale (and zone).
// Keys come from validated locales and zones; the bound only guards against a flood of odd ones.
const formatters = memo<DateFormatters>(5000);
const regionNames = memo<Intl.DisplayNames>(5000);
const zones = memo<string>(5000);
const countries = memo<string>(5000);

// A storm's alerts come from a few devices and places: each is formatted once per catalog (and Intl
// locale). Their keys hold outside text, so each key is at most MAX_MEMO_KEY characters and each
// memo holds at most 4096 of them (the least recently used go first), however many catalogs there are.
const devices = memo<ShownDevice>(4096);
const places = memo<Place>(4096);
const MAX_MEMO_KEY = 512;
const catalogIds = new WeakMap<Catalog, number>();
let nextCatalogId = 0;

/**
 * An unambiguous key: the catalog's id, then the outside strings as JSON (which quotes and escapes
 * each); undefined when a value is not a string or the key would be longer than MAX_MEMO_KEY.
 */
function memoKey(catalog: Catalog, values: readonly unknown[]): string | undefined {
  let length = 0;
  for (const value of values) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    length += value.length;
  }
  if (length > MAX_MEMO_KEY) return undefined;
  let id = catalogIds.get(catalog);
  if (id === undefined) {
    id = nextCatalogId++;
    catalogIds.set(catalog, id);
  }
  const key = `${id}${JSON.stringify(values)}`;
  return key.length <= MAX_MEMO_KEY ? key : undefined;
}

/**
 * A phrase that composes outside values ("Chrome on Android"): in a right-to-left catalog each value
 * is isolated (U+2068…U+2069), so a Latin name keeps its own order inside the sentence.
 */
export function phrase(catalog: Catalog, key: string, values?: MessageValues): string {
  return catalog.format(key, values, catalog.dir === 'rtl' ? 'isolated' : 'text');
}

/** An event's time as shown: its long and short forms and the zone, all to the minute. */
export interface ShownTime {
  readonly long: string;
  readonly short: string;
  readonly zone: string;
}

// Every form is to the minute, so one (locale, zone, minute) is formatted once: a storm's alerts share
// a handful of minutes.
const shownTimes = memo<ShownTime>(4096);
// From here on every zone's UTC offset is whole minutes (Liberia's −0:44:30 was the last to go), so a
// UTC minute is one minute on every clock; earlier instants are formatted each time.
const WHOLE_MINUTE_OFFSETS = Date.UTC(1972, 1, 1);

/** Time of an event in the person's zone: long ("Tuesday, 24 November 2026, 14:05 GMT-3"), short, and the zone. */
export function formatWhen(iso: string, timeZone: string | undefined, intlLocale: string): ShownTime {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new AppError('INTERNAL', 'occurredAt must be an ISO timestamp');
  const zone = validZone(timeZone);
  if (ms < WHOLE_MINUTE_OFFSETS) return shownTime(ms, zone, intlLocale);
  return shownTimes.memo(`${intlLocale}|${zone}|${Math.floor(ms / 60_000)}`, {
    context: () => shownTime(ms, zone, intlLocale),
  });
}

function shownTime(ms: number, zone: string, intlLocale: string): ShownTime {
  const date = new Date(ms);
  const f = dateFormatters(intlLocale, zone);
  const time = f.time.format(date);
  return Object.freeze({
    long: clean(`${f.date.format(date)}, ${time} (${zone})`, 120),
    short: clean(`${f.short.format(date)}, ${time}`, 60),
    zone,
  });
}

/**
 * "Chrome 129 on macOS (Apple iPhone)" and a short form without versions or model for SMS. Names
 * come from closed vocabularies and a model must look like one (outside-text.ts); a model that does
 * not is replaced by its maker's name, or by "Android phone" / "Android tablet".
 */
export function formatDevice(device: Device | undefined, catalog: Catalog): ShownDevice {
  const d = device ?? {};
  const key = memoKey(catalog, [
    d.browser,
    d.browser_version,
    d.os,
    d.os_version,
    d.device_type,
    d.vendor,
    d.model,
  ]);
  return key === undefined
    ? formatDeviceAnew(d, catalog)
    : devices.memo(key, { context: () => formatDeviceAnew(d, catalog) });
}

/** A device as shown: long, short (for SMS), and whether anything about it is known. */
export interface ShownDevice {
  readonly long: string;
  readonly short: string;
  readonly known: boolean;
}

function formatDeviceAnew(d: Device, catalog: Catalog): ShownDevice {
  const browser = shownBrowser(d.browser);
  const os = shownOs(d.os);
  const vendor = shownVendor(d.vendor);
  const model = shownModel(d.model);
  // A desktop's frozen UA version (macOS 10.15.7, Windows "10" on Windows 11) would mislead: show only real majors.
  const browserLong = join(browser, shownMajor(d.browser_version));
  const osLong = os === 'macOS' || os === 'Windows' ? os : join(os, shownMajor(d.os_version));
  const hardware =
    model !== ''
      ? model.startsWith(vendor)
        ? model
        : join(vendor, model)
      : typeof d.model === 'string' && d.model !== ''
        ? vendor || genericHardware(os, d.device_type, catalog)
        : '';
  const compose = (b: string, o: string) =>
    b && o
      ? phrase(catalog, 'device.on', { browser: b, os: o })
      : b || o || hardware || catalog.text('device.unknown');
  const long = compose(browserLong, osLong);
  return Object.freeze({
    long: hardware && !long.includes(hardware) && (browserLong || osLong) ? `${long} (${hardware})` : long,
    short: compose(browser, os),
    known: Boolean(browser || os || hardware),
  });
}

// What stands in for a model that was left out: the kind of device, on its (vocabulary) system.
function genericHardware(os: string, type: string | undefined, catalog: Catalog): string {
  if (os === '') return '';
  if (type === 'tablet') return phrase(catalog, 'device.tablet', { os });
  // ua-parser-js gives no type for some Android phones; on other systems no type means a desktop.
  return type === 'mobile' || (type === undefined && os === 'Android')
    ? phrase(catalog, 'device.phone', { os })
    : '';
}

/** The approximate place, as parts, so SMS can drop the city before spending another segment. */
export interface Place {
  /** "near London, United Kingdom", or the localised "unknown" / "private network" phrase */
  readonly long: string;
  readonly city: string;
  readonly country: string;
  readonly countryCode: string;
}

/**
 * Where an event came from: the city (else the region) as the geo data gives it when it has a place
 * name's shape, the country named in the person's language (else as given, with the same check).
 */
export function formatPlace(geo: Geo | undefined, intlLocale: string, catalog: Catalog): Place {
  const empty = { city: '', country: '', countryCode: '' };
  if (geo === undefined) return Object.freeze({ long: catalog.text('place.unknown'), ...empty });
  if (geo.network !== 'public') return Object.freeze({ long: catalog.text('place.private'), ...empty });
  const key = memoKey(catalog, [intlLocale, geo.country_code, geo.country_name, geo.city, geo.region]);
  return key === undefined
    ? formatPublicPlace(geo, intlLocale, catalog)
    : places.memo(key, { context: () => formatPublicPlace(geo, intlLocale, catalog) });
}

function formatPublicPlace(geo: Geo, intlLocale: string, catalog: Catalog): Place {
  const code = /^[A-Za-z]{2}$/.test(geo.country_code ?? '') ? (geo.country_code as string).toUpperCase() : '';
  const country = countryName(code, intlLocale) || shownPlace(geo.country_name);
  const city = shownPlace(geo.city) || shownPlace(geo.region);
  return Object.freeze({
    long: placePhrase(city, country, catalog) || catalog.text('place.unknown'),
    city,
    country,
    countryCode: code,
  });
}

/** "near London, United Kingdom", "in Brazil" when only the country is known, '' when neither is. */
export function placePhrase(city: string, country: string, catalog: Catalog): string {
  if (city) return phrase(catalog, 'place.near', { place: country ? `${city}, ${country}` : city });
  return country ? phrase(catalog, 'place.country', { country }) : '';
}

/** The method's localised name ("passkey", "chave de acesso"); '' when unknown. */
export function formatMethod(method: AuthMethod | undefined, catalog: Catalog): string {
  if (method === undefined || !catalog.has(`method.${method}`)) return '';
  return catalog.text(`method.${method}`);
}

/** Display name of a product id: known ids mapped, others shown only with a product name's shape. */
export function formatProduct(product: string | undefined, catalog: Catalog): string {
  const id = (product ?? '').trim().toLowerCase();
  if (Object.hasOwn(PRODUCTS, id)) return PRODUCTS[id] as string;
  return shownProduct(product?.trim()) || catalog.text('product.fallback');
}

/**
 * The sentence naming the authenticator: "Signed in with your YubiKey 5 Series" on a sign-in; on a
 * credential.added, "A new security key was added: YubiKey 5 Series" when the method says a security
 * key, else "A new passkey from iCloud Keychain was added"; '' without a name.
 */
export function formatAuthenticator(
  name: string,
  kind: string,
  change: string | undefined,
  method: AuthMethod | undefined,
  catalog: Catalog,
): string {
  if (name === '') return '';
  if (kind === 'new_login') return phrase(catalog, 'authenticator.signedIn', { name });
  if (kind === 'account_change' && change === 'credential.added')
    return phrase(catalog, 'authenticator.added', { name, method: method ?? '' });
  return '';
}

/** Plain-words explanations of the reasons, most serious first; reasons without one are left out. */
export function formatReasons(reasons: readonly Reason[], method: string, catalog: Catalog): string[] {
  const values = { method: method || catalog.text('method.password') };
  return EXPLAINED_REASONS.filter((r) => reasons.includes(r)).map((r) =>
    phrase(catalog, `reason.${r}`, values),
  );
}

/** "3 failed sign-in attempts": the catalog's plural, with the number formatted for its locale. */
export function formatAttempts(count: number | undefined, catalog: Catalog): string {
  const n = Number.isSafeInteger(count) && (count as number) > 0 ? (count as number) : 1;
  return catalog.text('attempts', { count: n });
}

/**
 * Facts joined by the catalog's separator (", ", Japanese "、", Arabic "، "), empty ones left out.
 * Not Intl.ListFormat: its lists of units end in "and" in several locales ("14:05 e Brasil"), which
 * reads as one fact, not a list of them.
 */
export function formatList(items: readonly string[], catalog: Catalog): string {
  return items.filter((item) => item !== '').join(catalog.text('separator'));
}

interface DateFormatters {
  date: Intl.DateTimeFormat;
  short: Intl.DateTimeFormat;
  time: Intl.DateTimeFormat;
}

function dateFormatters(locale: string, timeZone: string): DateFormatters {
  return formatters.memo(`${locale}|${timeZone}`, {
    context: () => {
      const make = (options: Intl.DateTimeFormatOptions) =>
        new Intl.DateTimeFormat(locale, { ...options, timeZone });
      return {
        date: make({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
        short: make({ weekday: 'short', day: 'numeric', month: 'short' }),
        time: make({ hour: 'numeric', minute: '2-digit', timeZoneName: 'shortOffset' }),
      };
    },
  });
}

// Unknown or invalid zones show UTC, named, rather than failing the alert.
function validZone(zone: string | undefined): string {
  if (typeof zone !== 'string' || !/^[A-Za-z0-9/_+-]{1,64}$/.test(zone)) return 'UTC';
  return zones.memo(zone, {
    context: () => {
      try {
        const resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
        // ICU answers with its own canonical names (Asia/Kolkata → Asia/Calcutta): show the person's own.
        return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
      } catch {
        return 'UTC';
      }
    },
  });
}

// Private-use and "unknown" codes (AA, QM–QZ, XA–XZ but Kosovo's XK, ZZ) name no country.
const NOT_A_COUNTRY = /^(AA|Q[M-Z]|X[A-JL-Z]|ZZ)$/;

function countryName(code: string, locale: string): string {
  if (code === '' || NOT_A_COUNTRY.test(code)) return '';
  return countries.memo(`${locale}|${code}`, {
    context: () => {
      const names = regionNames.memo(locale, {
        context: () => new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' }),
      });
      try {
        return clean(names.of(code), 48);
      } catch {
        return '';
      }
    },
  });
}

function join(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}
