import fc from 'fast-check';
import { AUTH_METHODS } from '../../src/contracts/auth-event.js';
import {
  ALERT_KINDS,
  type LoginAlert,
  LoginAlertSchema,
  NETWORK_LABELS,
  REASONS,
  SEVERITIES,
} from '../../src/contracts/login-alert.js';
import { OCSF_VERSION, OcsfAuthenticationSchema, toOcsfAuthentication } from '../../src/contracts/ocsf.js';

const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0';

const base: LoginAlert = {
  alert_id: 'al_abc',
  event_id: 'ev-1',
  account_id: 'acct-1',
  session_id: 's-1',
  kind: 'new_login',
  severity: 'critical',
  reasons: ['new_device', 'new_country', 'new_city', 'impossible_travel'],
  occurred_at: '2025-03-01T12:10:00.000Z',
  detected_at: '2025-03-01T12:10:01.250Z',
  product: 'chatgpt',
  auth_method: 'passkey',
  event_type: 'login.succeeded',
  ip: '1.128.0.1',
  device: {
    browser: 'Mobile Safari',
    browser_version: '17',
    os: 'iOS',
    os_version: '17.5',
    device_type: 'mobile',
    vendor: 'Apple',
    model: 'iPhone',
  },
  geo: {
    network: 'public',
    country_code: 'AU',
    country_name: 'Australia',
    region: 'New South Wales',
    city: 'Sydney',
    latitude: -33.8688,
    longitude: 151.2093,
    accuracy_radius_km: 20,
    asn: 1221,
    as_org: 'Telstra',
    is_anonymous_vpn: false,
  },
  channels: ['email', 'push'],
  enrolled: true,
  stale: false,
};

const failed: LoginAlert = {
  ...base,
  alert_id: 'al_failed',
  session_id: undefined,
  kind: 'failed_attempts',
  severity: 'critical',
  reasons: ['failure_burst'],
  auth_method: 'password',
  event_type: 'login.failed',
  failure_count: 5,
};
const change: LoginAlert = {
  ...base,
  alert_id: 'al_change',
  kind: 'account_change',
  severity: 'warning',
  reasons: ['credential_added'],
  event_type: 'credential.added',
};
const reported: LoginAlert = {
  alert_id: 'al_reported',
  event_id: 'ev-1',
  account_id: 'acct-1',
  kind: 'user_reported',
  severity: 'critical',
  reasons: ['user_reported'],
  occurred_at: base.occurred_at,
  detected_at: base.detected_at,
  product: 'chatgpt',
  channels: [],
  enrolled: true,
  stale: false,
  reported_alert_id: 'al_abc',
};
const info: LoginAlert = {
  ...base,
  alert_id: 'al_info',
  severity: 'info',
  reasons: [],
  device: {},
  geo: { network: 'private' },
  ip: '10.0.0.8',
};

const ALERTS: Record<string, LoginAlert> = { sign_in: base, failed, change, reported, info };

describe('toOcsfAuthentication', () => {
  it.each(Object.entries(ALERTS))('produces a valid OCSF Authentication event for %s', (_, alert) => {
    expect(LoginAlertSchema.safeParse(alert).success).toBe(true);
    const result = OcsfAuthenticationSchema.safeParse(toOcsfAuthentication(alert));
    expect(result.error?.issues).toBeUndefined();
    // It survives the trip through JSON on Kafka.
    expect(
      OcsfAuthenticationSchema.safeParse(JSON.parse(JSON.stringify(toOcsfAuthentication(alert)))).success,
    ).toBe(true);
  });

  it('maps a sign-in to a successful Logon with identity, place and device', () => {
    const e = toOcsfAuthentication(base);
    expect(e).toMatchObject({
      category_uid: 3,
      class_uid: 3002,
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      status_id: 1,
      status: 'Success',
      severity_id: 5,
      severity: 'Critical',
      time: Date.parse(base.occurred_at),
      auth_protocol_id: 99,
      is_mfa: true,
      user: { uid: 'acct-1' },
      service: { name: 'chatgpt' },
      session: { uid: 's-1' },
      metadata: {
        version: OCSF_VERSION,
        product: { name: 'login-alerts', vendor_name: 'login-alerts' },
        uid: 'al_abc',
        original_time: base.occurred_at,
        processed_time: Date.parse(base.detected_at),
      },
      src_endpoint: {
        ip: '1.128.0.1',
        location: { country: 'AU', region: 'New South Wales', city: 'Sydney', lat: -33.8688, long: 151.2093 },
        autonomous_system: { number: 1221, name: 'Telstra' },
        os: { name: 'iOS', version: '17.5', type_id: 301, type: 'iOS' },
        type_id: 5,
        type: 'Mobile',
      },
      unmapped: { alert_kind: 'new_login', reasons: base.reasons, device: base.device, event_id: 'ev-1' },
    });
    expect(e.auth_protocol).toMatch(/WebAuthn/);
    expect(e.message).toBe('Sign-in to chatgpt: new device, new country, new city, impossible travel');
  });

  it('puts coordinates in GeoJSON order, longitude first', () => {
    expect(toOcsfAuthentication(base).src_endpoint?.location?.coordinates).toEqual([151.2093, -33.8688]);
  });

  it('maps failed attempts to a failed Logon with the count', () => {
    const e = toOcsfAuthentication(failed);
    expect(e).toMatchObject({
      activity_id: 1,
      type_uid: 300201,
      status_id: 2,
      status: 'Failure',
      count: 5,
      is_mfa: false,
    });
    expect(e.session).toBeUndefined();
    expect(e.message).toBe('5 failed sign-in attempts to chatgpt');
  });

  it('maps account changes and user reports to Other (99) with a name', () => {
    expect(toOcsfAuthentication(change)).toMatchObject({
      activity_id: 99,
      activity_name: 'Credential Added',
      type_uid: 300299,
      status_id: 1,
      severity_id: 3,
      severity: 'Medium',
    });
    expect(toOcsfAuthentication(reported)).toMatchObject({
      activity_id: 99,
      activity_name: 'User Reported',
      type_uid: 300299,
      status_id: 99,
      unmapped: { reported_alert_id: 'al_abc' },
    });
    expect(toOcsfAuthentication(reported).src_endpoint).toBeUndefined();
  });

  it('maps info to Informational and leaves out a location it does not have', () => {
    const e = toOcsfAuthentication(info);
    expect(e).toMatchObject({ severity_id: 1, severity: 'Informational', src_endpoint: { ip: '10.0.0.8' } });
    expect(e.src_endpoint?.location).toBeUndefined();
    expect(e.unmapped.network).toEqual({ network: 'private' });
  });

  it.each(AUTH_METHODS)('maps the %s method to a valid protocol', (method) => {
    const e = toOcsfAuthentication({ ...base, auth_method: method });
    expect(OcsfAuthenticationSchema.safeParse(e).success).toBe(true);
    expect(e.auth_protocol).toBeTruthy();
    expect(e.unmapped.auth_method).toBe(method);
  });

  it('maps the device code flow to OAuth 2.0', () => {
    expect(toOcsfAuthentication({ ...base, auth_method: 'device_code' })).toMatchObject({
      auth_protocol_id: 6,
      auth_protocol: 'OAUTH 2.0',
    });
  });

  it('never carries a raw user agent', () => {
    const withUa = { ...base, user_agent: UA } as LoginAlert;
    expect(JSON.stringify(toOcsfAuthentication(withUa))).not.toContain('Mozilla');
    expect(toOcsfAuthentication(base)).not.toHaveProperty('http_request');
  });

  it('takes a vendor name', () => {
    expect(toOcsfAuthentication(base, { vendorName: 'Example Corp' }).metadata.product.vendor_name).toBe(
      'Example Corp',
    );
  });
});

describe('OcsfAuthenticationSchema', () => {
  const good = toOcsfAuthentication(base);
  const rejects = (value: unknown) => expect(OcsfAuthenticationSchema.safeParse(value).success).toBe(false);

  it('rejects a type_uid that does not match class and activity', () => {
    rejects({ ...good, type_uid: 300299 });
  });

  it.each([
    'class_uid',
    'category_uid',
    'activity_id',
    'time',
    'severity_id',
    'status_id',
    'user',
    'metadata',
    'service',
  ])('rejects an event without %s', (key) => {
    const { [key as keyof typeof good]: _, ...rest } = good;
    rejects(rest);
  });

  it('rejects the wrong class, a bad severity and a missing product vendor', () => {
    rejects({ ...good, class_uid: 3001 });
    rejects({ ...good, severity_id: 7 });
    rejects({ ...good, metadata: { ...good.metadata, product: { name: 'login-alerts' } } });
    rejects({ ...good, metadata: { ...good.metadata, version: '2.0.0' } });
  });

  it('rejects Other (99) without its caption', () => {
    rejects({ ...good, activity_id: 99, type_uid: 300299, activity_name: undefined });
    rejects({ ...good, auth_protocol: undefined });
  });

  it('rejects unknown attributes outside unmapped, and reversed coordinates', () => {
    rejects({ ...good, user_agent: UA });
    const location = { ...good.src_endpoint!.location!, coordinates: [-33.8688, 251.2093] };
    rejects({ ...good, src_endpoint: { ...good.src_endpoint, location } });
  });
});

describe('toOcsfAuthentication (property)', () => {
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const iso = fc
    .integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') })
    .map((t) => new Date(t).toISOString());
  const word = fc.string({ minLength: 0, maxLength: 12 });
  const alert: fc.Arbitrary<LoginAlert> = fc.record({
    alert_id: fc.string({ minLength: 1, maxLength: 30 }),
    event_id: fc.string({ minLength: 1, maxLength: 30 }),
    account_id: fc.string({ minLength: 1, maxLength: 30 }),
    session_id: optional(word),
    kind: fc.constantFrom(...ALERT_KINDS),
    severity: fc.constantFrom(...SEVERITIES),
    reasons: fc.uniqueArray(fc.constantFrom(...REASONS)),
    occurred_at: iso,
    detected_at: iso,
    product: fc.string({ maxLength: 20 }),
    auth_method: optional(fc.constantFrom(...AUTH_METHODS)),
    event_type: optional(fc.oneof(word, fc.constantFrom('credential.added', 'api_key.created', '__proto__'))),
    ip: optional(fc.oneof(fc.ipV4(), fc.ipV6(), word)),
    device: optional(
      fc.record(
        {
          browser: word,
          os: fc.oneof(word, fc.constantFrom('Windows', 'iOS', 'constructor', '__proto__')),
          os_version: word,
          device_type: fc.constantFrom('mobile', 'tablet', 'desktop', 'xr', '', 'constructor', 'toString'),
        },
        { requiredKeys: [] },
      ),
    ),
    geo: optional(
      fc.record(
        {
          network: fc.constantFrom(...NETWORK_LABELS),
          country_code: fc.constantFrom('GB', 'AU', '', 'XYZ'),
          country_name: word,
          region: word,
          city: word,
          latitude: fc.double({ min: -90, max: 90, noNaN: true }),
          longitude: fc.double({ min: -180, max: 180, noNaN: true }),
          asn: fc.nat(),
          as_org: word,
          is_tor_exit_node: fc.boolean(),
        },
        { requiredKeys: ['network'] },
      ),
    ),
    channels: fc.uniqueArray(fc.constantFrom('email' as const, 'sms' as const, 'push' as const)),
    enrolled: fc.boolean(),
    stale: fc.boolean(),
    failure_count: optional(fc.integer({ min: 0, max: 64 })),
  });

  it('turns every valid LoginAlert into a valid OCSF event', () => {
    fc.assert(
      fc.property(alert, (a) => {
        const result = OcsfAuthenticationSchema.safeParse(toOcsfAuthentication(a));
        expect(result.error?.issues).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
