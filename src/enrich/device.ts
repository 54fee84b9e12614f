import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';
import type { Device } from '../contracts/login-alert.js';
import { cleanText } from './text.js';
import { browserName, osName, vendorName } from './ua-names.js';

/** Only this many leading characters of a user agent are parsed (the contract's limit; caps ReDoS cost). */
export const MAX_PARSED_UA_LENGTH = 512;
/** Default number of distinct user agents kept parsed. */
export const DEFAULT_UA_CACHE_SIZE = 10_000;

const VERSION_LENGTH = 32;

/** Parses user agents into display-safe `Device` values, with an LRU cache in front of ua-parser-js. */
export interface DeviceParser {
  parse(userAgent: string | undefined): Device;
  stats(): { hits: number; misses: number; size: number };
}

// ua-parser-js reports no device type for desktops, and also for phones it could not classify:
// an unknown type on one of these systems stays unknown rather than becoming "desktop".
const HANDHELD_OS = new Set([
  'Android',
  'iOS',
  'iPadOS',
  'watchOS',
  'Windows Phone',
  'Windows Phone OS',
  'Windows Mobile',
  'Symbian',
  'Series40',
  'BlackBerry',
  'RIM Tablet OS',
  'Bada',
  'Firefox OS',
  'KaiOS',
  'HarmonyOS',
  'Tizen',
  'webOS',
  'MeeGo',
  'Sailfish',
]);

const EMPTY: Device = Object.freeze({});

/** Builds a device parser; results are frozen and shared, so callers must not mutate them. */
export function createDeviceParser(opts: { cacheSize?: number } = {}): DeviceParser {
  const cache = new LRUCache<string, Device>({ max: Math.max(1, opts.cacheSize ?? DEFAULT_UA_CACHE_SIZE) });
  let hits = 0;
  let misses = 0;
  return {
    parse(userAgent) {
      if (typeof userAgent !== 'string' || userAgent.length === 0) return EMPTY;
      const ua =
        userAgent.length > MAX_PARSED_UA_LENGTH ? userAgent.slice(0, MAX_PARSED_UA_LENGTH) : userAgent;
      const cached = cache.get(ua);
      if (cached !== undefined) {
        hits++;
        return cached;
      }
      misses++;
      const device = parseDevice(ua);
      cache.set(ua, device);
      return device;
    },
    stats: () => ({ hits, misses, size: cache.size }),
  };
}

/** Parses one user agent (no cache, no length cap) into a normalised, display-safe `Device`. */
export function parseDevice(ua: string): Device {
  let result: Pick<UAParser.IResult, 'browser' | 'os' | 'device'>;
  try {
    // Only what a Device holds: the engine and CPU matchers (a third of a full getResult) are skipped.
    const parser = new UAParser(ua);
    result = { browser: parser.getBrowser(), os: parser.getOS(), device: parser.getDevice() };
  } catch {
    // ua-parser-js does not throw on strings; should a future patch do so, the login still alerts, without a device.
    return EMPTY;
  }
  // Names in the vocabulary get their one display spelling ("OPERA" → "Opera", "Mac OS" → "macOS");
  // others are kept as parsed, for the record: a notice shows only vocabulary names.
  const browser = browserName(result.browser.name) ?? cleanText(result.browser.name);
  const os = osName(result.os.name) ?? cleanText(result.os.name);
  const device: Device = {
    browser,
    browser_version: majorVersion(result.browser.version),
    os,
    os_version: cleanText(result.os.version, VERSION_LENGTH),
    device_type: cleanText(result.device.type) ?? inferDesktop(browser, os),
    vendor: vendorName(result.device.vendor) ?? cleanText(result.device.vendor),
    model: cleanText(result.device.model),
  };
  return Object.freeze(compact(device));
}

// "129.0.6668.90" → "129"; versions that do not start with a number carry no useful major.
function majorVersion(version: string | undefined): string | undefined {
  const match = version === undefined ? null : /^\d{1,8}/.exec(version);
  return match ? String(Number(match[0])) : undefined;
}

function inferDesktop(browser: string | undefined, os: string | undefined): string | undefined {
  if (os !== undefined) return HANDHELD_OS.has(os) ? undefined : 'desktop';
  return browser !== undefined ? 'desktop' : undefined;
}

// Unknown fields are left out rather than set to undefined, so alerts serialise the same either way.
function compact(device: Device): Device {
  const out: Device = {};
  for (const [key, value] of Object.entries(device) as [keyof Device, string | undefined][]) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}
