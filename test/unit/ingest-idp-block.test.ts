import { readFileSync } from 'node:fs';
import { validateAuthEvent } from '../../src/contracts/decode.js';
import { IdpSchema } from '../../src/contracts/idp.js';
import { mapIdpPayload, mapIdpText } from '../../src/ingest/index.js';
import { idpBlock } from '../../src/ingest/types.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/idp/${name}`, import.meta.url), 'utf8');
const events = (batch: ReturnType<typeof mapIdpPayload>) =>
  batch.ok ? batch.outcomes.map((o) => (o.kind === 'event' ? o.event : undefined)) : [];

describe('the idp block the mappers fill (contract v1.2)', () => {
  it('Keycloak: realm name, user, session, and the WebAuthn credential id of a registration', () => {
    const now = Date.parse('2027-01-01T00:00:00Z');
    const [added, login] = events(
      mapIdpPayload('keycloak', JSON.parse(fixture('keycloak-webauthn-events.json')), { now }),
    );
    expect(added?.idp).toEqual({
      provider: 'keycloak',
      realm: 'demo',
      user_id: added?.account_id,
      credential_id: 'GdvJrkzPvpJcdVw0qEiD4w',
      ...(added?.session_id ? { session_id: added.session_id } : {}),
    });
    expect(login?.idp).toMatchObject({ provider: 'keycloak', realm: 'demo', user_id: login?.account_id });
    const exported = mapIdpText('keycloak', fixture('keycloak-admin-events.json'), { now });
    const signIn = exported[2]?.kind === 'event' ? exported[2].event : undefined;
    // An admin-API export names the realm by id only: that is what the block carries.
    expect(signIn?.idp).toEqual({
      provider: 'keycloak',
      realm: '855fba95-a81d-4922-8f1d-004ec70eef4f',
      user_id: 'cb344200-bd0d-436e-b68a-4958979bcae9',
      session_id: 'rsE1h5tOkld9dcUMIeQ5KbW7',
    });
  });

  it("Auth0: the tenant's hostname, the user id and the session id from details", () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const [first] = events(mapIdpPayload('auth0', JSON.parse(fixture('auth0-log-stream.json')), { now }));
    expect(first?.idp).toEqual({
      provider: 'auth0',
      tenant: 'example.eu.auth0.com',
      user_id: 'auth0|6620c3b1e4f5a6b7c8d9e0f1',
      session_id: 'Xq3vB8nL2kR7tY5wP1mZ9sD4fG6hJ0cA',
    });
  });

  it('Okta: actor.id and authenticationContext.externalSessionId', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const [first] = events(mapIdpPayload('okta', JSON.parse(fixture('okta-event-hook.json')), { now }));
    expect(first?.idp).toEqual({
      provider: 'okta',
      user_id: '00u1qw6mqitPHM8AJ0g7',
      session_id: '1013FfF-DKQSvCI4RVXChzX-w',
    });
  });

  it('leaves out an id that does not fit the shape, and the whole block when the user id does not', () => {
    expect(
      idpBlock({ provider: 'okta', userId: '00u1', sessionId: 'a b', credentialId: 'x'.repeat(300) }),
    ).toEqual({ provider: 'okta', user_id: '00u1' });
    expect(idpBlock({ provider: 'okta', userId: 'bad"id' })).toBeUndefined();
    expect(idpBlock({ provider: 'keycloak', userId: 'u1' })).toBeUndefined(); // no realm
  });

  it('refuses a crafted block: unknown keys, path tricks, oversized ids, a Keycloak block without a realm', () => {
    const ok = { provider: 'keycloak', realm: 'demo', user_id: 'u-1', session_id: 's-1' };
    expect(IdpSchema.safeParse(ok).success).toBe(true);
    for (const bad of [
      { ...ok, extra: 1 },
      { ...ok, session_id: '../../users/other?x=1' },
      { ...ok, user_id: 'u%2F1' },
      { ...ok, realm: 'a/b' },
      { ...ok, session_id: 's'.repeat(129) },
      { provider: 'keycloak', user_id: 'u' },
      { provider: 'gitlab', user_id: 'u' },
    ])
      expect(IdpSchema.safeParse(bad).success).toBe(false);
  });

  it('an AuthEvent with an idp block validates through the fast path and through zod alike', () => {
    const event = JSON.parse(
      readFileSync(new URL('../../schemas/examples/login.succeeded.json', import.meta.url), 'utf8'),
    );
    const now = Date.parse('2026-11-25T00:00:00Z');
    const withIdp = { ...event, idp: { provider: 'auth0', user_id: 'auth0|abc', session_id: 'sid1' } };
    expect(validateAuthEvent(withIdp, now)).toMatchObject({ ok: true, value: withIdp });
    const crafted = { ...event, idp: { provider: 'auth0', user_id: 'auth0|abc', session_id: 'x?y' } };
    expect(validateAuthEvent(crafted, now)).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
  });
});
