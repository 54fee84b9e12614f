import type { Reason } from '../contracts/login-alert.js';
import {
  DEFAULT_TRAVEL_OPTIONS,
  isImpossibleTravel,
  signInPoint,
  type TravelOptions,
} from './impossible-travel.js';
import { isMethodDowngrade } from './method-downgrade.js';
import { isAnonymousNetwork, isHostingNetwork } from './network.js';
import { deviceKey, isNewDevice } from './new-device.js';
import { cityKey, countryKey, isNewCity, isNewCountry } from './new-place.js';
import { eventTime } from './seen.js';
import { orderReasons, severityFor } from './severity.js';
import type { AccountHistory, Assessment, SignInContext } from './types.js';
import { isUnknownCredential } from './unknown-credential.js';

/** Tunables of a sign-in assessment. */
export interface AssessOptions {
  travel: TravelOptions;
}

/** Caps on what one account's history holds; the least recently seen entries go first. */
export interface HistoryLimits {
  maxDevices: number;
  maxCountries: number;
  maxCities: number;
}

/** Default history caps: 50 of each keeps an account's history to a few kilobytes of JSON. */
export const DEFAULT_HISTORY_LIMITS: Readonly<HistoryLimits> = Object.freeze({
  maxDevices: 50,
  maxCountries: 50,
  maxCities: 50,
});

/** A history with nothing in it, for an account seen for the first time. */
export function emptyHistory(): AccountHistory {
  return { devices: {}, countries: {}, cities: {} };
}

/** Judges one successful sign-in against the account's history. Pure; never throws on well-typed input. */
export function assessSignIn(ctx: SignInContext, opts: Partial<AssessOptions> = {}): Assessment {
  const travel = opts.travel ?? DEFAULT_TRAVEL_OPTIONS;
  const found: Reason[] = [];
  if (isNewDevice(ctx)) found.push('new_device');
  if (isNewCountry(ctx)) found.push('new_country');
  if (isNewCity(ctx)) found.push('new_city');
  if (isImpossibleTravel(ctx, travel)) found.push('impossible_travel');
  if (isAnonymousNetwork(ctx.geo)) found.push('anonymous_network');
  if (isHostingNetwork(ctx.geo)) found.push('hosting_network');
  if (isMethodDowngrade(ctx)) found.push('method_downgrade');
  if (isUnknownCredential(ctx)) found.push('unknown_credential');
  const reasons = orderReasons(found);
  return { severity: severityFor(reasons), reasons };
}

/** The assessment of a failed-sign-in burst (see `recordFailure`). */
export function assessFailureBurst(): Assessment {
  return { severity: severityFor(['failure_burst']), reasons: ['failure_burst'] };
}

/**
 * `map` with `key` last seen at `at` (never moving a later sighting back: out-of-order events), then
 * only the entries seen within the window, at most `max` of them, the most recently seen staying.
 * One pass over the map, no copy of it: this runs for every sign-in of an enrolled account, on maps
 * of up to `max` entries each. The map returned has no prototype (read it with Object.hasOwn, as
 * seen.ts does; JSON.stringify writes it as any other).
 */
function remember(
  map: Record<string, number>,
  key: string | undefined,
  at: number,
  { now, windowMs, max }: { now: number; windowMs: number; max: number },
): Record<string, number> {
  const within = (seen: unknown): seen is number =>
    typeof seen === 'number' && Number.isFinite(seen) && now - seen <= windowMs;
  const kept: [string, number][] = [];
  let touched = false;
  for (const k of map == null ? [] : Object.keys(map)) {
    let seen = map[k];
    if (k === key) {
      touched = true;
      seen = typeof seen === 'number' && seen > at ? seen : at;
    }
    if (within(seen)) kept.push([k, seen]);
  }
  if (key !== undefined && !touched && within(at)) kept.push([key, at]);
  // Only a map over its cap needs the order (which entries stay); the kept set is the same either way.
  if (kept.length > max) {
    kept.sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
    kept.length = Math.max(0, max);
  }
  // Without a prototype the map is a dictionary from the start: its keys (every account's differ)
  // build no chain of hidden classes, which cost more than the rest of this function together.
  const out: Record<string, number> = Object.create(null);
  for (const [k, seen] of kept) out[k] = seen;
  return out;
}

/**
 * The history after this successful sign-in: its device, country, city and point recorded, entries older than
 * the window dropped, and each map capped (oldest dropped). Returns a new object; the input is left untouched.
 */
export function rememberSignIn(
  history: AccountHistory,
  ctx: SignInContext,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): AccountHistory {
  const at = eventTime(ctx);
  const { now, historyWindowMs: window } = ctx;
  const keep = (max: number) => ({ now, windowMs: window, max });
  const next: AccountHistory = {
    devices: remember(history.devices, deviceKey(ctx.event, ctx.device), at, keep(limits.maxDevices)),
    countries: remember(history.countries, countryKey(ctx.geo), at, keep(limits.maxCountries)),
    cities: remember(history.cities, cityKey(ctx.geo), at, keep(limits.maxCities)),
  };
  // An event older than the remembered one must not become "the previous sign-in" for travel checks.
  const last = history.last;
  next.last = last !== undefined && Number.isFinite(last.at) && last.at > at ? last : signInPoint(ctx);
  return next;
}
