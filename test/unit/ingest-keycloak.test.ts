import { readFileSync } from 'node:fs';
import { mapIdpPayload, mapIdpText } from '../../src/ingest/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/idp/${name}`, import.meta.url), 'utf8');
const now = Date.parse('2027-01-01T00:00:00Z');

describe('Keycloak event mapper', () => {
  it("maps a real Keycloak 26 admin-API export: LOGIN, a wrong password, and ignores an unknown user's failure", () => {
    const out = mapIdpText('keycloak', fixture('keycloak-admin-events.json'), { now, product: 'demo' });
    expect(out.map((o) => o.kind)).toEqual(['ignored', 'event', 'event']);
    expect(out[0]).toMatchObject({ reason: 'LOGIN_ERROR names no Keycloak user' });
    expect(out[1]?.kind === 'event' && out[1].event).toMatchObject({
      event_id: 'keycloak:634dd316-b44d-4dbf-827e-ef1f63aa8d80',
      type: 'login.failed',
      account_id: 'cb344200-bd0d-436e-b68a-4958979bcae9',
      auth: { method: 'password', failure_reason: 'bad_password' },
    });
    expect(out[2]?.kind === 'event' && out[2].event).toMatchObject({
      event_id: 'keycloak:d00749c1-79d8-4c40-b6f3-29c6980e18a2',
      type: 'login.succeeded',
      occurred_at: new Date(1796151175267).toISOString(),
      session_id: 'rsE1h5tOkld9dcUMIeQ5KbW7',
      product: 'demo',
      client: { ip: '127.0.0.1' },
      source: 'keycloak',
    });
  });

  it('maps passkey registration with its AAGUID, a passkey sign-in, and a removed security key', () => {
    const batch = mapIdpPayload('keycloak', JSON.parse(fixture('keycloak-webauthn-events.json')), { now });
    const outcomes = batch.ok ? batch.outcomes : [];
    expect(outcomes.map((o) => o.kind)).toEqual(['event', 'event', 'ignored', 'event', 'event']);
    const [added, login, , password, removed] = outcomes.map((o) =>
      o.kind === 'event' ? o.event : undefined,
    );
    expect(added).toMatchObject({
      type: 'credential.added',
      product: 'demo',
      auth: {
        method: 'passkey',
        credential_id: 'GdvJrkzPvpJcdVw0qEiD4w',
        aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
      },
    });
    expect(login?.auth).toEqual({ method: 'passkey', credential_id: 'GdvJrkzPvpJcdVw0qEiD4w' });
    expect(password).toMatchObject({ type: 'credential.added', auth: { method: 'password' } });
    expect(removed).toMatchObject({ type: 'credential.removed', auth: { method: 'security_key' } });
  });

  it('ignores UPDATE_PASSWORD, whose UPDATE_CREDENTIAL twin is mapped (one change, one alert)', () => {
    const batch = mapIdpPayload('keycloak', JSON.parse(fixture('keycloak-webauthn-events.json')), { now });
    expect(batch.ok && batch.outcomes[2]).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/UPDATE_CREDENTIAL/),
    });
  });

  it('derives a stable event id when Keycloak sent none, and names a bad time', () => {
    const ev = {
      time: 1796151175267,
      type: 'LOGIN',
      realmId: 'r',
      userId: 'u1',
      sessionId: 's1',
      ipAddress: '127.0.0.1',
    };
    const a = mapIdpPayload('keycloak', ev, { now });
    const b = mapIdpPayload('keycloak', { ...ev }, { now });
    const id = (x: typeof a) =>
      x.ok && x.outcomes[0]?.kind === 'event' ? x.outcomes[0].event.event_id : undefined;
    expect(id(a)).toMatch(/^keycloak:[0-9a-f]{40}$/);
    expect(id(a)).toBe(id(b));
    const bad = mapIdpPayload('keycloak', { ...ev, time: 'yesterday' }, { now });
    expect(bad.ok && bad.outcomes[0]).toMatchObject({
      kind: 'invalid',
      message: 'time: must be epoch milliseconds',
    });
    const huge = mapIdpPayload('keycloak', { ...ev, time: 1e20 }, { now });
    expect(huge.ok && huge.outcomes[0]).toMatchObject({
      kind: 'invalid',
      message: 'time: must be epoch milliseconds',
    });
  });

  it('maps a failed one-time code as bad_otp and a locked user as locked', () => {
    const base = {
      id: 'e',
      time: 1796151175267,
      type: 'LOGIN_ERROR',
      realmId: 'r',
      userId: 'u1',
      ipAddress: '127.0.0.1',
    };
    const otp = mapIdpPayload(
      'keycloak',
      { ...base, error: 'invalid_user_credentials', details: { credential_type: 'otp' } },
      { now },
    );
    const locked = mapIdpPayload('keycloak', { ...base, error: 'user_temporarily_disabled' }, { now });
    const reason = (x: typeof otp) =>
      x.ok && x.outcomes[0]?.kind === 'event' ? x.outcomes[0].event.auth.failure_reason : undefined;
    expect(reason(otp)).toBe('bad_otp');
    expect(reason(locked)).toBe('locked');
  });

  it('a password sign-in whose flow registered a passkey is a password sign-in naming no credential', () => {
    // The LOGIN keeps the details the registration (required action) wrote on the flow's event builder.
    const registered = {
      custom_required_action: 'webauthn-register-passwordless',
      credential_type: 'webauthn-passwordless',
      public_key_credential_id: 'GdvJrkzPvpJcdVw0qEiD4w',
      public_key_credential_label: 'Erin passkey',
      public_key_credential_aaguid: '01020304-0506-0708-0102-030405060708',
    };
    const passkeySignIn = {
      credential_type: 'webauthn-passwordless',
      web_authn_authenticator_user_verification_checked: 'true',
      public_key_credential_id: 'GdvJrkzPvpJcdVw0qEiD4w',
    };
    const base = {
      id: 'e',
      time: 1796151175267,
      realmId: 'r',
      userId: 'u1',
      sessionId: 's1',
      ipAddress: '127.0.0.1',
    };
    const [afterRegistration, withPasskey, federated, securityKey, registration] = [
      { ...base, type: 'LOGIN', details: { ...registered, auth_method: 'openid-connect', username: 'erin' } },
      {
        ...base,
        type: 'LOGIN',
        details: { ...passkeySignIn, auth_method: 'openid-connect', username: 'erin' },
      },
      { ...base, type: 'LOGIN', details: { ...registered, identity_provider: 'google' } },
      {
        ...base,
        type: 'LOGIN',
        details: { credential_type: 'webauthn', public_key_credential_label: 'YubiKey' },
      },
      { ...base, type: 'UPDATE_CREDENTIAL', details: registered },
    ].map((e) => {
      const out = mapIdpPayload('keycloak', e, { now });
      return out.ok && out.outcomes[0]?.kind === 'event' ? out.outcomes[0].event : undefined;
    });
    expect(afterRegistration).toMatchObject({ type: 'login.succeeded', auth: { method: 'password' } });
    expect(afterRegistration?.auth.credential_id).toBeUndefined();
    expect(afterRegistration?.idp).toEqual({
      provider: 'keycloak',
      realm: 'r',
      user_id: 'u1',
      session_id: 's1',
    });
    expect(withPasskey?.auth).toEqual({ method: 'passkey', credential_id: 'GdvJrkzPvpJcdVw0qEiD4w' });
    expect(federated?.auth).toEqual({ method: 'sso' });
    expect(securityKey?.auth).toEqual({ method: 'password' });
    expect(registration?.auth).toEqual({
      method: 'passkey',
      credential_id: 'GdvJrkzPvpJcdVw0qEiD4w',
      aaguid: '01020304-0506-0708-0102-030405060708',
    });
  });
});
