import { type IdpFormat, mapIdpPayload } from '../../src/ingest/index.js';

const now = Date.parse('2027-01-01T00:00:00Z');
/** Names every plain object inherits: as event types they are unknown types like any other. */
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** One otherwise well-formed record of each IdP, with the given event type. */
const RECORDS: Record<IdpFormat, (type: string) => unknown> = {
  keycloak: (type) => ({
    id: `kc-${type}`,
    time: now - 1_000,
    type,
    realmId: 'demo',
    userId: 'user-1',
    sessionId: 's-1',
    ipAddress: '81.2.69.160',
  }),
  auth0: (type) => ({
    log_id: `a0-${type}`,
    data: { type, date: new Date(now - 1_000).toISOString(), user_id: 'auth0|user-1', ip: '81.2.69.160' },
  }),
  okta: (type) => ({
    uuid: `okta-${type}`,
    eventType: type,
    published: new Date(now - 1_000).toISOString(),
    actor: { id: 'user-1' },
    outcome: { result: 'SUCCESS' },
    client: { ipAddress: '81.2.69.160' },
  }),
};

describe.each(Object.keys(RECORDS) as IdpFormat[])('%s mapper and inherited property names', (format) => {
  it('maps the same record with a type it knows (the fixture is otherwise well formed)', () => {
    const known = { keycloak: 'LOGIN', auth0: 's', okta: 'user.session.start' }[format];
    const batch = mapIdpPayload(format, [RECORDS[format](known)], { now });
    expect(batch.ok && batch.outcomes[0]?.kind).toBe('event');
  });

  it.each(INHERITED)(
    'ignores an event of type %s like any unknown type (not dead-lettered, no crash)',
    (type) => {
      // JSON.parse makes `__proto__` an own property, as a webhook body would.
      const payload = JSON.parse(JSON.stringify([RECORDS[format](type)]));
      const batch = mapIdpPayload(format, payload, { now });
      expect(batch.ok).toBe(true);
      if (!batch.ok) return;
      expect(batch.outcomes).toHaveLength(1);
      expect(batch.outcomes[0]).toMatchObject({ kind: 'ignored', index: 0 });
    },
  );
});
