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

/** Keeps entries seen within the window, at most `max` of them, most recently seen first to stay. */
function prune(
  map: Record<string, number>,
  now: number,
  windowMs: number,
  max: number,
): Record<string, number> {
  const kept = Object.entries(map).filter(
    ([, at]) => typeof at === 'number' && Number.isFinite(at) && now - at <= windowMs,
  );
  // Only a map over its cap needs the order (which entries stay); the kept set is the same either way.
  if (kept.length > max) {
    kept.sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
    kept.length = Math.max(0, max);
  }
  return Object.fromEntries(kept);
}

/** `map` with `key` last seen at `at`, never moving a later sighting back (out-of-order events). */
function touch(map: Record<string, number>, key: string | undefined, at: number): Record<string, number> {
  if (key === undefined) return map;
  const prev = Object.hasOwn(map, key) ? map[key] : undefined;
  return { ...map, [key]: typeof prev === 'number' && prev > at ? prev : at };
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
  const next: AccountHistory = {
    devices: prune(
      touch(history.devices, deviceKey(ctx.event, ctx.device), at),
      now,
      window,
      limits.maxDevices,
    ),
    countries: prune(touch(history.countries, countryKey(ctx.geo), at), now, window, limits.maxCountries),
    cities: prune(touch(history.cities, cityKey(ctx.geo), at), now, window, limits.maxCities),
  };
  // An event older than the remembered one must not become "the previous sign-in" for travel checks.
  const last = history.last;
  next.last = last !== undefined && Number.isFinite(last.at) && last.at > at ? last : signInPoint(ctx);
  return next;
}
