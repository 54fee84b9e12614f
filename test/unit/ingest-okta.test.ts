import { readFileSync } from 'node:fs';
import { mapIdpPayload, mapIdpText } from '../../src/ingest/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/idp/${name}`, import.meta.url), 'utf8');
const now = Date.parse('2026-12-01T00:00:00Z');

describe('Okta event hook mapper', () => {
  it("maps the documentation's user.session.start hook to a sign-in keyed on the event's uuid", () => {
    const batch = mapIdpPayload('okta', JSON.parse(fixture('okta-event-hook.json')), { now });
    const first = batch.ok ? batch.outcomes[0] : undefined;
    expect(first?.kind === 'event' && first.event).toMatchObject({
      event_id: 'okta:f790999f-fe87-467a-9880-6982a583986c',
      type: 'login.succeeded',
      occurred_at: '2018-03-28T22:23:07.777Z',
      account_id: '00u1qw6mqitPHM8AJ0g7',
      session_id: '1013FfF-DKQSvCI4RVXChzX-w',
      product: 'okta',
      client: { ip: '12.97.85.90', user_agent: 'UNKNOWN-DOWNLOAD' },
      auth: { method: 'password' },
      source: 'okta',
    });
  });

  it('maps a FAILURE with INVALID_CREDENTIALS to bad_password and a factor activation to credential.added', () => {
    const batch = mapIdpPayload('okta', JSON.parse(fixture('okta-event-hook-derived.json')), {
      now,
      product: 'portal',
    });
    const [fail, factor] = batch.ok ? batch.outcomes : [];
    expect(fail?.kind === 'event' && fail.event).toMatchObject({
      type: 'login.failed',
      product: 'portal',
      auth: { method: 'password', failure_reason: 'bad_password' },
    });
    expect(factor?.kind === 'event' && factor.event).toMatchObject({
      type: 'credential.added',
      account_id: '00u1qw6mqitPHM8AJ0g7',
      auth: { method: 'passkey' },
    });
  });

  it('reads System Log JSON lines (a backfill), ignoring events it does not alert on with a reason', () => {
    const out = mapIdpText('okta', fixture('okta-system-log.jsonl'), { now });
    expect(out.map((o) => o.kind)).toEqual(['ignored', 'event', 'event']);
    expect(out[0]).toMatchObject({
      reason: 'Okta event type "system.org.rate_limit.warning" (SUCCESS) is not mapped',
    });
    expect(out[1]?.kind === 'event' && out[1].event).toMatchObject({
      type: 'login.succeeded',
      account_id: '00ubewfku1EX0WCFk697',
      session_id: 'idxvF50v_5sT2-GOA7_K0Amyw',
      client: { ip: '99.108.5.25' },
    });
    expect(out[2]?.idp_event_id).toBe('2a992f80-d1ad-4f62-900e-8c68bb72a21b');
    expect(out[2]?.kind === 'event' && out[2].event).toMatchObject({
      type: 'login.failed',
      auth: { failure_reason: 'other' },
    });
  });

  it('keeps an AAGUID given on a factor activation', () => {
    const hook = JSON.parse(fixture('okta-event-hook-derived.json'));
    hook.data.events[1].debugContext.debugData.aaguid = 'CB69481E-8FF7-4039-93EC-0A2729A154A8';
    const batch = mapIdpPayload('okta', hook, { now });
    const factor = batch.ok ? batch.outcomes[1] : undefined;
    expect(factor?.kind === 'event' && factor.event.auth).toMatchObject({
      aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
    });
  });

  it('refuses a body that is not an event hook', () => {
    expect(mapIdpPayload('okta', { eventType: 'something.else', data: {} }, { now }).ok).toBe(false);
  });
});
