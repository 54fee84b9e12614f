/**
 * The decision for one event, alone: pure over the chunk state (no store, no broker). Each event
 * type decides on its own; an account that can notify nobody leaves before any state is touched.
 */
import { loadConfig } from '../../src/config/config.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { type GeoLookup, openGeo } from '../../src/enrich/geo.js';
import { ChunkState } from '../../src/pipeline/chunk-state.js';
import { type DecideContext, decideEvent, judges, NOT_ENROLLED } from '../../src/pipeline/decide.js';
import { alertOutputs } from '../../src/pipeline/emit.js';
import { authEvent } from '../../src/pipeline/synthetic.js';
import { keys } from '../../src/state/keys.js';
import { profile } from '../support/events.js';

let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeo({});
});
afterAll(() => geo.close());

const config = loadConfig({});
const devices = createDeviceParser();

function context(enrolled: boolean | undefined, audience: 'enrolled' | 'all' = 'enrolled'): DecideContext {
  const state = new ChunkState();
  const p =
    enrolled === undefined
      ? undefined
      : JSON.stringify(profile('acct-1', { advanced_security: { enrolled } }));
  state.load([keys.profile('acct-1')], [p]);
  return {
    state,
    devices,
    geo,
    config: { ...config, securityTopicAudience: audience },
    startedAt: Date.now(),
  };
}

describe('decideEvent', () => {
  it('leaves at the first stage when the account is not enrolled and only the enrolled are told', () => {
    const ctx = context(false);
    expect(judges(ctx.state, ctx.config, 'acct-1')).toBe(false);
    expect(decideEvent(authEvent({ account_id: 'acct-1' }), ctx)).toBe(NOT_ENROLLED);
    expect(ctx.state.writes()).toEqual([]);
  });

  it('publishes a not-enrolled account for the security team when the audience is everyone', () => {
    const verdict = decideEvent(authEvent({ account_id: 'acct-1' }), context(false, 'all'));
    expect(verdict.outcome).toBe('published');
    expect(verdict.alert?.enrolled).toBe(false);
  });

  it('alerts once for an event id and once for a session', () => {
    const ctx = context(true);
    const event = authEvent({ account_id: 'acct-1' });
    const first = decideEvent(event, ctx);
    expect(first.outcome).toBe('alerted');
    expect(first.alert?.kind).toBe('new_login');
    expect(decideEvent(event, ctx).outcome).toBe('duplicate_event');
    const sameSession = authEvent({ account_id: 'acct-1', session_id: event.session_id });
    expect(decideEvent(sameSession, ctx).outcome).toBe('duplicate_session');
  });

  it('counts failures below the threshold and alerts when it is reached', () => {
    const ctx = context(true);
    const failure = () =>
      authEvent({
        account_id: 'acct-1',
        type: 'login.failed',
        auth: { method: 'password', failure_reason: 'bad_password' },
      });
    const outcomes = Array.from({ length: config.failureThreshold }, () => decideEvent(failure(), ctx));
    expect(outcomes.slice(0, -1).map((v) => v.outcome)).toEqual(
      Array(config.failureThreshold - 1).fill('below_threshold'),
    );
    expect(outcomes.at(-1)?.alert).toMatchObject({
      kind: 'failed_attempts',
      failure_count: config.failureThreshold,
    });
  });

  it('alerts on an account change, which goes out with a request only when someone is told', () => {
    const ctx = context(true);
    const change = authEvent({
      account_id: 'acct-1',
      type: 'credential.added',
      auth: { method: 'passkey', credential_id: 'key-1' },
    });
    const verdict = decideEvent(change, ctx);
    expect(verdict.alert).toMatchObject({
      kind: 'account_change',
      reasons: expect.arrayContaining(['credential_added']),
    });
    const told = { ...verdict.alert!, channels: ['email' as const] };
    expect(alertOutputs({ ...told, channels: [] }, config.topics)).toHaveLength(2);
    const topics = alertOutputs(told, config.topics).map((o) => o.topic);
    expect(topics).toEqual([
      config.topics.loginAlerts,
      config.topics.loginAlertsOcsf,
      config.topics.notifications,
    ]);
  });

  it('looks the device and the place up only for a decision that uses them, once each', () => {
    const ctx = context(true);
    const looked = { device: 0, geo: 0 };
    const counting: DecideContext = {
      ...ctx,
      devices: {
        ...devices,
        parse: (ua) => {
          looked.device++;
          return devices.parse(ua);
        },
      },
      geo: {
        ...geo,
        lookup: (ip) => {
          looked.geo++;
          return geo.lookup(ip);
        },
      },
    };
    const first = authEvent({
      account_id: 'acct-1',
      client: { ip: '81.2.69.160', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
    });
    const alerted = decideEvent(first, counting);
    expect(alerted.alert).toMatchObject({ geo: { country_code: 'GB' }, device: { browser: 'Firefox' } });
    expect(looked).toEqual({ device: 1, geo: 1 });
    // The same session again, and failures below the threshold, decide without either.
    expect(
      decideEvent(authEvent({ account_id: 'acct-1', session_id: first.session_id }), counting).outcome,
    ).toBe('duplicate_session');
    const failure = authEvent({
      account_id: 'acct-1',
      type: 'login.failed',
      auth: { method: 'password', failure_reason: 'bad_password' },
    });
    expect(decideEvent(failure, counting).outcome).toBe('below_threshold');
    expect(looked).toEqual({ device: 1, geo: 1 });
  });
});
