import fc from 'fast-check';
import { AUTH_METHODS } from '../../src/contracts/auth-event.js';
import { NETWORK_LABELS, REASONS } from '../../src/contracts/login-alert.js';
import {
  assessFailureBurst,
  assessSignIn,
  DEFAULT_HISTORY_LIMITS,
  emptyHistory,
  rememberSignIn,
} from '../../src/risk/assess.js';
import { deviceKey } from '../../src/risk/new-device.js';
import { severityFor } from '../../src/risk/severity.js';
import type { AccountHistory, SignInContext } from '../../src/risk/types.js';
import {
  CHROME_MAC,
  DAY,
  event,
  HOUR,
  LONDON,
  MINUTE,
  PARIS,
  SAFARI_IPHONE,
  SYDNEY,
  signIn,
  T0,
  WINDOW,
} from './risk-context.js';

/** History after a passkey sign-in from London on Chrome/macOS at T0. */
const afterLondon = () => {
  const first = signIn(T0);
  return rememberSignIn(first.history, first);
};

describe('assessSignIn', () => {
  it('is info for a known device in a known place', () => {
    expect(assessSignIn(signIn(T0 + DAY, { history: afterLondon() }))).toEqual({
      severity: 'info',
      reasons: [],
    });
  });

  it('is warning with every novelty on a first sign-in', () => {
    expect(assessSignIn(signIn(T0))).toEqual({
      severity: 'warning',
      reasons: ['new_device', 'new_country', 'new_city'],
    });
  });

  it('is warning for a new device in a known place', () => {
    const a = assessSignIn(signIn(T0 + DAY, { history: afterLondon(), device: SAFARI_IPHONE }));
    expect(a).toEqual({ severity: 'warning', reasons: ['new_device'] });
  });

  it('is critical for London then Sydney 10 minutes later on a new device', () => {
    const ctx = signIn(T0 + 10 * MINUTE, { history: afterLondon(), geo: SYDNEY, device: SAFARI_IPHONE });
    expect(assessSignIn(ctx)).toEqual({
      severity: 'critical',
      reasons: ['new_device', 'new_country', 'new_city', 'impossible_travel'],
    });
  });

  it('is warning, not critical, for London then Paris two hours later', () => {
    const a = assessSignIn(signIn(T0 + 2 * HOUR, { history: afterLondon(), geo: PARIS }));
    expect(a).toEqual({ severity: 'warning', reasons: ['new_country', 'new_city'] });
  });

  it('is critical for a password sign-in on an enrolled account', () => {
    const a = assessSignIn(signIn(T0 + DAY, { history: afterLondon(), method: 'password' }));
    expect(a).toEqual({ severity: 'critical', reasons: ['method_downgrade'] });
  });

  it('is info for a password sign-in on an account not enrolled', () => {
    const a = assessSignIn(signIn(T0 + DAY, { history: afterLondon(), method: 'password', enrolled: false }));
    expect(a.severity).toBe('info');
  });

  it('is critical for an anonymous network with a new device, warning on a known one', () => {
    const tor = { ...LONDON, is_tor_exit_node: true };
    const known = assessSignIn(signIn(T0 + DAY, { history: afterLondon(), geo: tor }));
    expect(known).toEqual({ severity: 'warning', reasons: ['anonymous_network'] });
    const fresh = assessSignIn(signIn(T0 + DAY, { history: afterLondon(), geo: tor, device: SAFARI_IPHONE }));
    expect(fresh).toEqual({ severity: 'critical', reasons: ['new_device', 'anonymous_network'] });
  });

  it('treats a device last seen 91 days ago as new', () => {
    const a = assessSignIn(signIn(T0 + 91 * DAY, { history: afterLondon() }));
    expect(a.reasons).toContain('new_device');
  });
});

describe('assessFailureBurst', () => {
  it('is critical with failure_burst', () => {
    expect(assessFailureBurst()).toEqual({ severity: 'critical', reasons: ['failure_burst'] });
  });
});

describe('rememberSignIn', () => {
  it('records device, country, city and the last point without touching the input', () => {
    const ctx = signIn(T0);
    const before = emptyHistory();
    const after = rememberSignIn(before, ctx);
    expect(before).toEqual(emptyHistory());
    expect(after).toEqual({
      devices: { [deviceKey(ctx.event, CHROME_MAC)]: T0 },
      countries: { GB: T0 },
      cities: { 'GB/England/London': T0 },
      last: { at: T0, latitude: 51.5074, longitude: -0.1278, accuracyKm: 5, country: 'GB', city: 'London' },
    });
  });

  it('drops entries older than the window', () => {
    const later = signIn(T0 + 91 * DAY, { history: afterLondon(), geo: PARIS, device: SAFARI_IPHONE });
    const h = rememberSignIn(later.history, later);
    expect(Object.keys(h.countries)).toEqual(['FR']);
    expect(Object.keys(h.devices)).toHaveLength(1);
  });

  it('keeps at most 50 devices, dropping the least recently seen', () => {
    let h: AccountHistory = emptyHistory();
    for (let i = 0; i < 60; i++) {
      const ctx = signIn(T0 + i * MINUTE, { history: h, deviceId: `device-${i}` });
      h = rememberSignIn(h, ctx);
    }
    expect(Object.keys(h.devices)).toHaveLength(DEFAULT_HISTORY_LIMITS.maxDevices);
    expect(Object.values(h.devices).sort((a, b) => a - b)[0]).toBe(T0 + 10 * MINUTE);
  });

  it('does not let an out-of-order older event replace the last sign-in or move last-seen back', () => {
    const recent = signIn(T0 + HOUR, { geo: PARIS });
    const h1 = rememberSignIn(emptyHistory(), recent);
    const old = signIn(T0, { history: h1, now: T0 + HOUR });
    const h2 = rememberSignIn(h1, old);
    expect(h2.last?.at).toBe(T0 + HOUR);
    expect(h2.devices[deviceKey(old.event, CHROME_MAC)]).toBe(T0 + HOUR);
    expect(h2.countries).toEqual({ FR: T0 + HOUR, GB: T0 });
  });

  it('remembers a sign-in without coordinates as a point with only its time', () => {
    const h = rememberSignIn(emptyHistory(), signIn(T0, { geo: { network: 'private' } }));
    expect(h.last).toEqual({ at: T0 });
    expect(h.countries).toEqual({});
  });
});

describe('assessSignIn (property)', () => {
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const time = fc.integer({ min: T0 - 2 * WINDOW, max: T0 + 2 * WINDOW });
  const geo = fc.record({
    network: fc.constantFrom(...NETWORK_LABELS),
    country_code: optional(fc.constantFrom('GB', 'FR', 'AU', 'US', '', 'constructor')),
    region: optional(fc.string({ maxLength: 8 })),
    city: optional(fc.string({ maxLength: 8 })),
    latitude: optional(fc.double({ min: -90, max: 90, noNaN: true })),
    longitude: optional(fc.double({ min: -180, max: 180, noNaN: true })),
    accuracy_radius_km: optional(
      fc.oneof(fc.double({ min: 0, max: 1000, noNaN: true }), fc.constant(Number.NaN)),
    ),
    is_anonymous: optional(fc.boolean()),
    is_tor_exit_node: optional(fc.boolean()),
    is_hosting_provider: optional(fc.boolean()),
  });
  const device = fc.record({
    browser: optional(fc.string({ maxLength: 8 })),
    os: optional(fc.string({ maxLength: 8 })),
    device_type: optional(fc.string({ maxLength: 8 })),
  });
  const seenMap = fc.dictionary(fc.string({ maxLength: 12 }), time, { maxKeys: 5 });
  const point = fc.record({
    at: fc.oneof(time, fc.constant(Number.NaN)),
    latitude: optional(fc.double({ min: -90, max: 90, noNaN: true })),
    longitude: optional(fc.double({ min: -180, max: 180, noNaN: true })),
    accuracyKm: optional(fc.double({ min: 0, max: 500, noNaN: true })),
  });
  const history = fc.record({ devices: seenMap, countries: seenMap, cities: seenMap, last: optional(point) });
  const context: fc.Arbitrary<SignInContext> = fc
    .record({
      at: time,
      now: time,
      method: fc.constantFrom(...AUTH_METHODS),
      deviceId: optional(fc.string({ minLength: 1, maxLength: 16 })),
      geo,
      device,
      history,
      enrolled: fc.boolean(),
      windowDays: fc.integer({ min: 0, max: 365 }),
    })
    .map(({ at, now, method, deviceId, windowDays, ...rest }) => ({
      ...rest,
      event: event(at, { method, deviceId }),
      now,
      historyWindowMs: windowDays * DAY,
    }));

  it('never throws and returns a severity consistent with its reasons', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const { severity, reasons } = assessSignIn(ctx);
        expect(severity).toBe(severityFor(reasons));
        expect(severity === 'info').toBe(reasons.length === 0);
        const critical =
          reasons.includes('impossible_travel') ||
          reasons.includes('method_downgrade') ||
          (reasons.includes('anonymous_network') && reasons.includes('new_device'));
        expect(severity === 'critical').toBe(critical);
        // Stable order, no duplicates.
        expect(reasons).toEqual(REASONS.filter((r) => reasons.includes(r)));
        expect(reasons).not.toContain('failure_burst');
      }),
      { numRuns: 500 },
    );
  });

  it('rememberSignIn never throws and stays bounded', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const h = rememberSignIn(ctx.history, ctx);
        expect(Object.keys(h.devices).length).toBeLessThanOrEqual(DEFAULT_HISTORY_LIMITS.maxDevices);
        expect(Object.keys(h.cities).length).toBeLessThanOrEqual(DEFAULT_HISTORY_LIMITS.maxCities);
        expect(JSON.parse(JSON.stringify(h))).toEqual(h);
      }),
    );
  });
});
