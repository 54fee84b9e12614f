import { eventTime } from './seen.js';
import type { SignInContext, SignInPoint } from './types.js';

/** Tunables of the impossible-travel signal. */
export interface TravelOptions {
  /** Faster than this between two sign-ins is impossible (roughly an airliner's cruising speed). */
  maxSpeedKmh: number;
  /**
   * The shortest time span a speed is computed over. Auth hosts' clocks disagree by seconds and some
   * publish whole-second timestamps, so nearer sign-ins (including the same instant) count as this far apart.
   */
  minIntervalMs: number;
  /** Accuracy radius assumed for a point whose geo data gives none (0: take the point as exact). */
  unknownAccuracyKm: number;
}

/** Defaults: 900 km/h over at least one minute; points without a radius are exact. */
export const DEFAULT_TRAVEL_OPTIONS: Readonly<TravelOptions> = Object.freeze({
  maxSpeedKmh: 900,
  minIntervalMs: 60_000,
  unknownAccuracyKm: 0,
});

/** Mean Earth radius (IUGG), km. */
const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle (haversine) distance between two coordinates, in km. */
export function greatCircleKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  // min() guards against h drifting just above 1 through rounding, which would make asin NaN.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

type Located = SignInPoint & { latitude: number; longitude: number };
const located = (p: SignInPoint | undefined): p is Located =>
  p !== undefined && Number.isFinite(p.latitude) && Number.isFinite(p.longitude);

/** The current sign-in as a point to remember and to measure travel from. */
export function signInPoint(ctx: SignInContext): SignInPoint {
  const { geo } = ctx;
  const point: SignInPoint = { at: eventTime(ctx) };
  if (Number.isFinite(geo.latitude) && Number.isFinite(geo.longitude)) {
    // `+ 0` turns -0 into 0: the point is stored as JSON, which cannot keep -0.
    point.latitude = (geo.latitude as number) + 0;
    point.longitude = (geo.longitude as number) + 0;
    if (Number.isFinite(geo.accuracy_radius_km)) point.accuracyKm = geo.accuracy_radius_km;
  }
  if (geo.country_code) point.country = geo.country_code;
  if (geo.city) point.city = geo.city;
  return point;
}

/**
 * Speed in km/h between two points after giving each the benefit of its accuracy radius
 * (distance minus both radii, floored at 0), or undefined when either lacks coordinates.
 * The order of the points does not matter: an out-of-order event is measured over |Δt|.
 */
export function travelSpeedKmh(
  from: SignInPoint,
  to: SignInPoint,
  opts: TravelOptions = DEFAULT_TRAVEL_OPTIONS,
): number | undefined {
  if (!located(from) || !located(to)) return undefined;
  const radius = (p: SignInPoint) => Math.max(0, p.accuracyKm ?? opts.unknownAccuracyKm);
  const km = Math.max(0, greatCircleKm(from, to) - radius(from) - radius(to));
  const hours = Math.max(Math.abs(to.at - from.at), opts.minIntervalMs, 1) / 3_600_000;
  return km / hours;
}

/** impossible_travel: reaching this sign-in from the previous one would need more than `maxSpeedKmh`. */
export function isImpossibleTravel(
  ctx: SignInContext,
  opts: TravelOptions = DEFAULT_TRAVEL_OPTIONS,
): boolean {
  // First sign-in: nothing to travel from.
  const previous = ctx.history.last;
  if (previous === undefined) return false;
  const speed = travelSpeedKmh(previous, signInPoint(ctx), opts);
  return speed !== undefined && speed > opts.maxSpeedKmh;
}
