import { readFileSync } from 'node:fs';
import { mapIdpPayload, mapIdpText } from '../../src/ingest/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/idp/${name}`, import.meta.url), 'utf8');
const now = Date.parse('2026-12-01T00:00:00Z');

describe('Auth0 log stream mapper', () => {
  const batch = mapIdpPayload('auth0', JSON.parse(fixture('auth0-log-stream.json')), { now });

  it('maps a successful sign-in with the user id, session, IP and user agent, keyed on log_id', () => {
    expect(batch.ok).toBe(true);
    const first = batch.ok ? batch.outcomes[0] : undefined;
    expect(first?.kind).toBe('event');
    if (first?.kind !== 'event') return;
    expect(first.event).toMatchObject({
      event_id: 'auth0:90020260415091204118000000000000001223372036854775001',
      type: 'login.succeeded',
      occurred_at: '2026-04-15T09:12:04.118Z',
      account_id: 'auth0|6620c3b1e4f5a6b7c8d9e0f1',
      session_id: 'Xq3vB8nL2kR7tY5wP1mZ9sD4fG6hJ0cA',
      product: 'Example App',
      client: { ip: '203.0.113.24' },
      auth: { method: 'password' },
      source: 'auth0',
    });
    expect(first.event.client.user_agent).toMatch(/Chrome\/123/);
  });

  it('maps a wrong password as login.failed bad_password and ignores failures that name no user', () => {
    const kinds = batch.ok ? batch.outcomes.map((o) => o.kind) : [];
    expect(kinds).toEqual(['event', 'event', 'ignored', 'ignored', 'event']);
    const fp = batch.ok ? batch.outcomes[4] : undefined;
    expect(fp?.kind === 'event' && fp.event).toMatchObject({
      type: 'login.failed',
      account_id: 'auth0|6620c3b1e4f5a6b7c8d9e0f1',
      auth: { method: 'password', failure_reason: 'bad_password' },
    });
    const ignored = batch.ok ? batch.outcomes[3] : undefined;
    expect(ignored).toMatchObject({ kind: 'ignored', reason: 'failed sign-in names no Auth0 user' });
    expect(batch.ok && batch.outcomes[2]).toMatchObject({
      reason: 'Auth0 log type "pwd_leak" is not mapped',
    });
  });

  it('reads JSON lines and maps a sign-in whose prompt performed phr as a passkey', () => {
    const out = mapIdpText('auth0', fixture('auth0-passkey.jsonl'), { now });
    expect(out.map((o) => o.kind)).toEqual(['event', 'event']);
    expect(out[0]?.kind === 'event' && out[0].event.auth.method).toBe('passkey');
    expect(out[1]?.index).toBe(1);
  });

  it('maps the same log_id to the same event_id (a retried batch dedupes downstream)', () => {
    const again = mapIdpPayload('auth0', JSON.parse(fixture('auth0-log-stream.json')), { now });
    const ids = (b: typeof batch) =>
      b.ok ? b.outcomes.map((o) => (o.kind === 'event' ? o.event.event_id : o.kind)) : [];
    expect(ids(again)).toEqual(ids(batch));
  });

  it('ignores log types that are not sign-ins, naming the type', () => {
    const out = mapIdpPayload(
      'auth0',
      [{ log_id: 'x1', data: { type: 'sapi', date: '2021-11-03T03:07:24.384Z' } }],
      { now },
    );
    expect(out.ok && out.outcomes[0]).toEqual({
      kind: 'ignored',
      index: 0,
      idp_event_id: 'x1',
      reason: 'Auth0 log type "sapi" is not mapped',
    });
  });

  it('reports an unusable record with the field and rule, and keeps going', () => {
    const good = JSON.parse(fixture('auth0-log-stream.json'))[0];
    const bad = { log_id: 'x2', data: { ...good.data, ip: 'not-an-ip' } };
    const out = mapIdpPayload('auth0', [bad, { data: {} }, good], { now });
    const outcomes = out.ok ? out.outcomes : [];
    expect(outcomes[0]).toMatchObject({ kind: 'invalid', idp_event_id: 'x2', code: 'INVALID_EVENT' });
    expect(outcomes[0]?.kind === 'invalid' && outcomes[0].message).toMatch(/client\.ip: /);
    expect(outcomes[1]).toMatchObject({ kind: 'invalid', message: 'log_id: required (the idempotency key)' });
    expect(outcomes[2]?.kind).toBe('event');
  });

  it('maps a passkey enrolment (gd_enrollment_complete) as credential.added', () => {
    const rec = {
      log_id: 'x3',
      data: {
        type: 'gd_enrollment_complete',
        date: '2021-11-03T03:07:24.384Z',
        user_id: 'auth0|1',
        ip: '81.2.69.143',
        details: { authenticator: { type: 'passkey' } },
      },
    };
    const out = mapIdpPayload('auth0', [rec], { now, product: 'web' });
    expect(out.ok && out.outcomes[0]?.kind === 'event' && out.outcomes[0].event).toMatchObject({
      type: 'credential.added',
      product: 'web',
      auth: { method: 'passkey' },
    });
  });

  it('refuses a body that is no Auth0 batch at all', () => {
    expect(mapIdpPayload('auth0', 'hello', { now })).toEqual({
      ok: false,
      message: expect.stringMatching(/Auth0/),
    });
  });
});
