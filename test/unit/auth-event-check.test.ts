import fc from 'fast-check';
import {
  AUTH_METHODS,
  AuthEventSchema,
  EVENT_TYPES,
  FAILURE_REASONS,
} from '../../src/contracts/auth-event.js';
import { isAuthEvent } from '../../src/contracts/auth-event-check.js';
import { authEvent, syntheticEvent } from '../../src/pipeline/synthetic.js';

// The fast check must agree with the schema: accept exactly what it accepts (soundness keeps the
// contract, completeness keeps the fast path taken), and the accepted value must equal the schema's output.

/** Mostly `good`, sometimes one of the near misses. */
const mostly = <T>(good: fc.Arbitrary<T>, ...near: fc.Arbitrary<T>[]) =>
  fc.oneof({ arbitrary: good, weight: 30 }, ...near.map((arbitrary) => ({ arbitrary, weight: 1 })));
const ip = mostly(
  fc.oneof(fc.ipV4(), fc.ipV6()),
  fc.constantFrom('999.0.0.1', '1.2.3', '::1\n', '::@1\\', 'fe80::1%eth0', '', '01.2.3.4', '::ffff:1.2.3.4'),
);
const timestamp = mostly(
  fc
    .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-11-24T14:05:00Z',
    '2026-11-24T14:05:00.123456+02:00',
    '2026-11-24T14:05Z',
    '2026-02-29T00:00:00Z',
    '2024-02-29T00:00:00-23:59',
    '2026-11-24 14:05:00Z',
    '2026-11-24T14:05:00',
    '2026-11-24T24:00:00Z',
    '2026-11-24T14:05:00+24:00',
  ),
);
const textOf = (max: number) =>
  mostly(
    fc.string({ minLength: 1, maxLength: 24 }),
    fc.constant(''),
    fc.string({ minLength: max - 1, maxLength: max + 1 }),
  );
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Records that look like events: every field drawn from valid values and near misses, some absent. */
/** IdP ids and names: mostly well formed, sometimes empty, too long or holding a character one of them refuses. */
const idpText = (max: number) =>
  mostly(
    fc.stringMatching(/^[A-Za-z0-9._~:-]{1,24}$/),
    fc.stringMatching(/^[A-Za-z0-9@|+=/]{1,8}$/),
    fc.constantFrom('', 'a b', 'a?b', 'x'.repeat(max + 1), 'x'.repeat(101)),
  );
const idpId = fc.stringMatching(/^[A-Za-z0-9._~:@|+=/-]{1,24}$/);
const idpName = fc.stringMatching(/^[A-Za-z0-9._~:-]{1,24}$/);
const wellFormedIdp = fc.oneof(
  fc.record({
    provider: fc.constant('keycloak'),
    realm: idpName,
    user_id: idpId,
    session_id: maybe(idpId),
    credential_id: maybe(idpId),
  }),
  fc.record({
    provider: fc.constantFrom('auth0', 'okta'),
    tenant: maybe(idpName),
    user_id: idpId,
    session_id: maybe(idpId),
  }),
);
const idpLike = mostly<unknown>(
  wellFormedIdp,
  fc.record({
    provider: mostly(fc.constantFrom('keycloak', 'auth0', 'okta'), fc.constantFrom('ping', 'constructor')),
    realm: maybe(idpText(100)),
    tenant: maybe(idpText(100)),
    user_id: mostly<unknown>(idpText(128), fc.integer()),
    session_id: maybe(idpText(128)),
    credential_id: maybe(idpText(256)),
    extra: maybe(fc.constant(1)),
  }),
);

const eventLike = fc
  .record({
    event_id: textOf(128),
    schema_version: mostly(fc.constant(1), fc.constantFrom(2, '1', 1.5)),
    type: mostly(fc.constantFrom(...EVENT_TYPES), fc.constant('login.teleported')),
    occurred_at: timestamp,
    account_id: textOf(128),
    session_id: maybe(textOf(128)),
    product: textOf(64),
    source: textOf(64),
    client: fc.record({
      ip,
      user_agent: maybe(mostly(fc.string(), fc.string({ minLength: 2047, maxLength: 2049 }))),
      device_id: maybe(textOf(128)),
      extra: maybe(fc.jsonValue()),
    }),
    auth: fc.record({
      method: mostly(fc.constantFrom(...AUTH_METHODS), fc.constant('telepathy')),
      credential_id: maybe(textOf(256)),
      failure_reason: maybe(mostly(fc.constantFrom(...FAILURE_REASONS), fc.constant('other_reason'))),
      aaguid: maybe(mostly(fc.uuid(), fc.constantFrom('EE882879-721C-4913-9775-3DFCCE97072A', 'not-a-guid'))),
    }),
    idp: maybe(idpLike),
    extra: maybe(fc.jsonValue()),
  })
  // As a record arrives: JSON, so absent fields are absent rather than undefined.
  .map((r) => JSON.parse(JSON.stringify(r)) as unknown);

/** A valid event with one field (or a nested one) replaced by any JSON value. */
const base = authEvent({
  account_id: 'acct-1',
  auth: { method: 'security_key', credential_id: 'c1' },
  idp: { provider: 'keycloak', realm: 'r1', user_id: 'u1', session_id: 's1' },
});
const mutated = fc
  .tuple(
    fc.constantFrom(
      ...Object.keys(base),
      'client.ip',
      'client.user_agent',
      'auth.method',
      'auth.aaguid',
      'idp',
      'idp.realm',
      'idp.session_id',
    ),
    fc.jsonValue(),
  )
  .map(([path, value]) => {
    const copy = JSON.parse(JSON.stringify(base)) as Record<string, Record<string, unknown>>;
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail) copy[head] = { ...copy[head], [tail]: value };
    else (copy as Record<string, unknown>)[head] = value;
    return JSON.parse(JSON.stringify(copy)) as unknown;
  });

const anyJson = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

function agrees(value: unknown): boolean {
  const parsed = AuthEventSchema.safeParse(value);
  const fast = isAuthEvent(value);
  expect(fast).toBe(parsed.success);
  if (fast && parsed.success) expect(value).toStrictEqual(parsed.data);
  return fast;
}

describe('isAuthEvent, the fast path of event validation', () => {
  it('agrees with AuthEventSchema on 12,000 records that look like events, mutated ones and any JSON', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(eventLike, mutated, anyJson), (value) => {
        if (agrees(value)) accepted++;
        else rejected++;
      }),
      { numRuns: 12_000 },
    );
    // Both sides are exercised, not only rejections.
    expect(accepted).toBeGreaterThan(1_000);
    expect(rejected).toBeGreaterThan(1_000);
  });

  it('accepts every valid record of the synthetic mix (the fast path is the one taken)', () => {
    let valid = 0;
    for (let n = 1; n < 1_000; n++) {
      if (n % 97 === 0) continue; // the mix's malformed JSON
      const record = syntheticEvent('t', n, { accounts: ['a', 'b', 'c'], source: 'test' });
      const value = JSON.parse(String(record.message.value)) as unknown;
      if (AuthEventSchema.safeParse(value).success) {
        valid++;
        expect(agrees(value)).toBe(true);
      }
    }
    for (const type of EVENT_TYPES) expect(agrees(authEvent({ account_id: 'a', type }))).toBe(true);
    expect(valid).toBeGreaterThan(980);
  });

  it('leaves to the schema what its copy would change: an own __proto__ key and undefined fields', () => {
    const withProto = JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(base).slice(1)}`) as unknown;
    expect(isAuthEvent(withProto)).toBe(false);
    const withUndefined = { ...base, client: { ...base.client, user_agent: undefined } };
    expect(isAuthEvent(withUndefined)).toBe(false);
    expect(AuthEventSchema.safeParse(withUndefined).success).toBe(true);
  });
});
