import type { Geo } from '../../src/contracts/login-alert.js';
import { rememberSignIn } from '../../src/risk/assess.js';
import {
  DEFAULT_TRAVEL_OPTIONS,
  greatCircleKm,
  isImpossibleTravel,
  travelSpeedKmh,
} from '../../src/risk/impossible-travel.js';
import type { SignInContext } from '../../src/risk/types.js';
import { HOUR, LONDON, MINUTE, PARIS, PRIVATE, SYDNEY, signIn, T0 } from './risk-context.js';

const pt = (g: Geo) => ({ latitude: g.latitude!, longitude: g.longitude! });

/** The sign-in at `at` in `geo`, after one at T0 in `from`. */
function thenAt(from: SignInContext, at: number, geo = LONDON): SignInContext {
  return signIn(at, { geo, history: rememberSignIn(from.history, from) });
}

describe('greatCircleKm', () => {
  it('measures known city pairs', () => {
    expect(greatCircleKm(pt(LONDON), pt(PARIS))).toBeCloseTo(343.5, 0);
    expect(greatCircleKm(pt(LONDON), pt(SYDNEY))).toBeGreaterThan(16_980);
    expect(greatCircleKm(pt(LONDON), pt(SYDNEY))).toBeLessThan(17_000);
  });

  it('is zero for the same point and finite for antipodes', () => {
    expect(greatCircleKm({ latitude: 10, longitude: 20 }, { latitude: 10, longitude: 20 })).toBe(0);
    const antipodes = greatCircleKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 });
    expect(antipodes).toBeCloseTo(Math.PI * 6371.0088, 3);
  });
});

describe('isImpossibleTravel', () => {
  const london = signIn(T0, { geo: LONDON });

  it('never fires on a first sign-in', () => {
    expect(isImpossibleTravel(signIn(T0, { geo: SYDNEY }))).toBe(false);
  });

  it('fires for London then Sydney 10 minutes later', () => {
    expect(isImpossibleTravel(thenAt(london, T0 + 10 * MINUTE, SYDNEY))).toBe(true);
  });

  it('accepts London then Paris two hours later', () => {
    expect(isImpossibleTravel(thenAt(london, T0 + 2 * HOUR, PARIS))).toBe(false);
  });

  it('fires for London then Paris 10 minutes later', () => {
    expect(isImpossibleTravel(thenAt(london, T0 + 10 * MINUTE, PARIS))).toBe(true);
  });

  it('allows for both accuracy radii: 50 km in a minute with 100 km radii is possible', () => {
    const a = {
      network: 'public' as const,
      country_code: 'DE',
      latitude: 52.52,
      longitude: 13.405,
      accuracy_radius_km: 100,
    };
    const b = { ...a, latitude: 52.52 + 50 / 111.2 };
    const from = signIn(T0, { geo: a });
    expect(greatCircleKm(a, b)).toBeCloseTo(50, 0);
    expect(isImpossibleTravel(thenAt(from, T0 + MINUTE, b))).toBe(false);
    // Without the radii the same hop would be 3000 km/h.
    const exact = signIn(T0, { geo: { ...a, accuracy_radius_km: 0 } });
    expect(isImpossibleTravel(thenAt(exact, T0 + MINUTE, { ...b, accuracy_radius_km: 0 }))).toBe(true);
  });

  it('never fires when either point lacks coordinates', () => {
    expect(isImpossibleTravel(thenAt(london, T0 + MINUTE, PRIVATE))).toBe(false);
    const nowhere = signIn(T0, { geo: PRIVATE });
    expect(isImpossibleTravel(thenAt(nowhere, T0 + MINUTE, SYDNEY))).toBe(false);
  });

  it('treats the same instant as one minute apart: far is impossible, near is not', () => {
    expect(isImpossibleTravel(thenAt(london, T0, PARIS))).toBe(true);
    const nearby = { ...LONDON, latitude: LONDON.latitude! + 0.05, accuracy_radius_km: 0 };
    expect(
      isImpossibleTravel(thenAt({ ...london, geo: { ...LONDON, accuracy_radius_km: 0 } }, T0, nearby)),
    ).toBe(false);
  });

  it('measures an out-of-order event over the absolute time difference', () => {
    const later = signIn(T0 + 5 * HOUR, { geo: PARIS });
    // An event from 3 hours before the remembered one: London-Paris in 3 hours is fine.
    expect(isImpossibleTravel(thenAt(later, T0 + 2 * HOUR, LONDON))).toBe(false);
    // From 5 minutes before it is not.
    expect(isImpossibleTravel(thenAt(later, T0 + 5 * HOUR - 5 * MINUTE, LONDON))).toBe(true);
  });

  it('honours the configured speed limit', () => {
    const fast = thenAt(london, T0 + 2 * HOUR, PARIS);
    expect(isImpossibleTravel(fast, { ...DEFAULT_TRAVEL_OPTIONS, maxSpeedKmh: 150 })).toBe(true);
  });
});

describe('travelSpeedKmh', () => {
  it('is undefined without coordinates and 0 within the radii', () => {
    expect(travelSpeedKmh({ at: 0 }, { at: HOUR, latitude: 0, longitude: 0 })).toBeUndefined();
    const p = { at: 0, latitude: 0, longitude: 0, accuracyKm: 10 };
    expect(travelSpeedKmh(p, { ...p, at: 1, longitude: 0.1 })).toBe(0);
  });

  it('uses the assumed radius for points without one', () => {
    const a = { at: 0, latitude: 0, longitude: 0 };
    const b = { at: MINUTE, latitude: 0, longitude: 0.8 }; // about 89 km
    expect(travelSpeedKmh(a, b)).toBeGreaterThan(5_000);
    expect(travelSpeedKmh(a, b, { ...DEFAULT_TRAVEL_OPTIONS, unknownAccuracyKm: 50 })).toBe(0);
  });
});
