// Builders for risk unit tests: realistic defaults, override what the test is about.
import type { AuthEvent, AuthMethod } from '../../src/contracts/auth-event.js';
import type { Device, Geo } from '../../src/contracts/login-alert.js';
import { emptyHistory } from '../../src/risk/assess.js';
import type { AccountHistory, SignInContext } from '../../src/risk/types.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WINDOW = 90 * DAY;
export const T0 = Date.parse('2025-03-01T12:00:00Z');

export const CHROME_MAC: Device = {
  browser: 'Chrome',
  browser_version: '129',
  os: 'macOS',
  os_version: '14.6',
  device_type: 'desktop',
};
export const SAFARI_IPHONE: Device = {
  browser: 'Mobile Safari',
  browser_version: '17',
  os: 'iOS',
  os_version: '17.5',
  device_type: 'mobile',
  vendor: 'Apple',
  model: 'iPhone',
};

export const LONDON: Geo = {
  network: 'public',
  country_code: 'GB',
  country_name: 'United Kingdom',
  region: 'England',
  city: 'London',
  latitude: 51.5074,
  longitude: -0.1278,
  accuracy_radius_km: 5,
  asn: 2856,
  as_org: 'British Telecommunications PLC',
};
export const PARIS: Geo = {
  network: 'public',
  country_code: 'FR',
  country_name: 'France',
  region: 'Île-de-France',
  city: 'Paris',
  latitude: 48.8566,
  longitude: 2.3522,
  accuracy_radius_km: 5,
};
export const SYDNEY: Geo = {
  network: 'public',
  country_code: 'AU',
  country_name: 'Australia',
  region: 'New South Wales',
  city: 'Sydney',
  latitude: -33.8688,
  longitude: 151.2093,
  accuracy_radius_km: 5,
};
export const MANCHESTER: Geo = {
  network: 'public',
  country_code: 'GB',
  country_name: 'United Kingdom',
  region: 'England',
  city: 'Manchester',
  latitude: 53.4808,
  longitude: -2.2426,
  accuracy_radius_km: 10,
};
export const PRIVATE: Geo = { network: 'private' };

/** A login.succeeded event at `at`. */
export function event(
  at: number,
  over: { method?: AuthMethod; deviceId?: string; ua?: string } = {},
): AuthEvent {
  return {
    event_id: `ev-${at}`,
    schema_version: 1,
    type: 'login.succeeded',
    occurred_at: new Date(at).toISOString(),
    account_id: 'acct-1',
    session_id: `s-${at}`,
    product: 'chatgpt',
    client: { ip: '81.2.69.160', user_agent: over.ua, device_id: over.deviceId },
    auth: { method: over.method ?? 'passkey' },
    source: 'auth-service',
  };
}

/** A sign-in context at `at` (also `now`), from London on Chrome/macOS with a passkey, by default. */
export function signIn(
  at: number,
  over: Partial<Omit<SignInContext, 'event'>> & { method?: AuthMethod; deviceId?: string } = {},
): SignInContext {
  const { method, deviceId, ...rest } = over;
  return {
    event: event(at, { method, deviceId }),
    device: CHROME_MAC,
    geo: LONDON,
    enrolled: true,
    history: emptyHistory(),
    now: at,
    historyWindowMs: WINDOW,
    ...rest,
  };
}

/** A history that knows `ctx`'s device and place as of `lastSeen`. */
export function historyOf(known: Partial<AccountHistory>): AccountHistory {
  return { ...emptyHistory(), ...known };
}
