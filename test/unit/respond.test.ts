import type { IdpRef } from '../../src/contracts/idp.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { type NotificationRequest, NotificationRequestSchema } from '../../src/contracts/notification.js';
import type { ResponseAction, ResponseRecord } from '../../src/contracts/records.js';
import { AppError } from '../../src/errors.js';
import type { OutRecord, Publisher } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/observe/logger.js';
import { buildReportedAlert } from '../../src/pipeline/alerts.js';
import { classify } from '../../src/respond/classify.js';
import { responseId } from '../../src/respond/context.js';
import { createRespondHandler } from '../../src/respond/respond.js';
import { selectActions } from '../../src/respond/select.js';
import type { ReportTarget } from '../../src/respond/target.js';
import type { Responder } from '../../src/responders/responder.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { Store } from '../../src/state/store.js';

const idp: IdpRef = {
  provider: 'keycloak',
  realm: 'demo',
  user_id: 'u-1',
  session_id: 's-1',
  credential_id: 'c-1',
};
const target = (kind: ReportTarget['kind'], reasons: ReportTarget['reasons'] = []): ReportTarget => ({
  kind,
  reasons,
  idp,
  occurred_at: '2026-12-06T10:00:00Z',
});

describe('select: what a confirmed report ends', () => {
  it('a sign-in: its session, or every session when the person chose "Sign out everywhere"', () => {
    expect(selectActions(target('new_login'), 'session')).toEqual(['session_revoked']);
    expect(selectActions(target('new_login'), undefined)).toEqual(['session_revoked']);
    expect(selectActions(target('new_login'), 'everywhere')).toEqual(['all_sessions_revoked']);
    const noSession = { ...target('new_login'), idp: { ...idp, session_id: undefined } };
    expect(selectActions(noSession, 'session')).toEqual([]);
  });

  it('an added credential: that credential (and every session when asked); other changes and kinds: nothing', () => {
    expect(selectActions(target('account_change', ['credential_added']), 'session')).toEqual([
      'credential_removed',
    ]);
    expect(selectActions(target('account_change', ['credential_added']), 'everywhere')).toEqual([
      'credential_removed',
      'all_sessions_revoked',
    ]);
    expect(selectActions(target('account_change', ['recovery_changed']), 'session')).toEqual([]);
    expect(selectActions(target('failed_attempts'), 'everywhere')).toEqual([]);
    expect(selectActions(undefined, 'everywhere')).toEqual([]);
  });
});

describe('classify', () => {
  it('keeps done and not_found, and records a failure by its stable code alone', () => {
    expect(classify({ outcome: 'done' })).toEqual({ status: 'done' });
    expect(classify({ outcome: 'not_found' })).toEqual({ status: 'not_found' });
    expect(classify({ error: new AppError('PROVIDER_AUTH', 'HTTP 401') })).toEqual({
      status: 'failed',
      error_code: 'PROVIDER_AUTH',
    });
    expect(classify({ error: new Error('boom') })).toEqual({ status: 'failed', error_code: 'INTERNAL' });
  });
});

/** A responder that answers from a script, one entry per call, and remembers the calls. */
function scripted(
  answers: (ActAnswer | (() => ActAnswer))[],
): Responder & { calls: [ResponseAction, IdpRef][] } {
  const calls: [ResponseAction, IdpRef][] = [];
  return {
    calls,
    async act(action, t) {
      calls.push([action, t]);
      const next = answers.shift() ?? 'done';
      const answer = typeof next === 'function' ? next() : next;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}
type ActAnswer = 'done' | 'not_found' | Error;

function harness(responder?: Responder, store: Store = createMemoryStore()) {
  const published: OutRecord[] = [];
  const publisher: Publisher = {
    publish: async (records) => {
      published.push(...records);
    },
    close: async () => {},
  };
  const handler = createRespondHandler({
    store,
    publisher,
    responders: responder ? { keycloak: responder } : {},
    topics: { responses: 'responses', notifications: 'notifications' },
    log: silentLogger(),
    targetTtlMs: 60_000,
    leaseMs: 60_000,
    retry: { attempts: 3, firstMs: 1, maxMs: 2, maxRetryAfterS: 1 },
  });
  let offset = 0;
  const feed = (alerts: LoginAlert[]) =>
    handler(
      alerts.map((a) => ({
        topic: 'alerts',
        partition: 0,
        message: { value: Buffer.from(JSON.stringify(a)), offset: String(offset++) } as never,
      })),
    );
  const records = () =>
    published.filter((r) => r.topic === 'responses').map((r) => r.value as ResponseRecord);
  const notices = () =>
    published.filter((r) => r.topic === 'notifications').map((r) => r.value as NotificationRequest);
  return { store, feed, records, notices };
}

const account = 'acct-1';
const signIn: LoginAlert = {
  alert_id: 'al_signin',
  event_id: 'e1',
  account_id: account,
  kind: 'new_login',
  severity: 'warning',
  reasons: ['new_device'],
  occurred_at: '2026-12-06T10:00:00Z',
  detected_at: '2026-12-06T10:00:01Z',
  product: 'demo',
  channels: ['email'],
  enrolled: true,
  stale: false,
  idp,
};
const report = (scope?: 'session' | 'everywhere') =>
  buildReportedAlert(account, signIn.alert_id, Date.now(), scope);

async function withProfile(store: Store) {
  await store.write([{ op: 'set', key: keys.profile(account), value: '{}' }]);
  return store;
}

describe('the respond flow (remember → select → claim → act → classify → record)', () => {
  it('ends the reported session once, records it, and does nothing more when the chunk is replayed', async () => {
    const responder = scripted(['done']);
    const { feed, records, store } = harness(responder, await withProfile(createMemoryStore()));
    await feed([signIn, report('session')]);
    await feed([signIn, report('session')]);
    expect(responder.calls).toEqual([['session_revoked', idp]]);
    expect(records()).toEqual([
      expect.objectContaining({
        response_id: responseId(signIn.alert_id, 'session_revoked'),
        alert_id: signIn.alert_id,
        account_id: account,
        idp: 'keycloak',
        action: 'session_revoked',
        status: 'done',
      }),
    ]);
    const [mark] = await store.read([keys.response(account, signIn.alert_id, 'session_revoked')]);
    expect(mark).toBe('done:done');
  });

  it('retries what time can fix, then records the failure by its code; a permanent failure is tried once', async () => {
    const down = () => new AppError('PROVIDER_UNAVAILABLE', 'HTTP 503', { retryable: true });
    const responder = scripted([down(), down(), down()]);
    const h = harness(responder, await withProfile(createMemoryStore()));
    await h.feed([signIn, report('everywhere')]);
    expect(responder.calls).toHaveLength(3);
    expect(h.records()[0]).toMatchObject({
      action: 'all_sessions_revoked',
      status: 'failed',
      error_code: 'PROVIDER_UNAVAILABLE',
    });

    const refused = scripted([new AppError('PROVIDER_AUTH', 'HTTP 403')]);
    const g = harness(refused, await withProfile(createMemoryStore()));
    await g.feed([signIn, report('session')]);
    expect(refused.calls).toHaveLength(1);
    expect(g.records()[0]).toMatchObject({ status: 'failed', error_code: 'PROVIDER_AUTH' });
  });

  it('a 429 is retried after its Retry-After and the session already gone is not_found (success)', async () => {
    const responder = scripted([
      new AppError('PROVIDER_THROTTLED', 'HTTP 429', { retryable: true, retryAfterS: 0 }),
      'not_found',
    ]);
    const h = harness(responder, await withProfile(createMemoryStore()));
    await h.feed([signIn, report('session')]);
    expect(responder.calls).toHaveLength(2);
    expect(h.records()[0]).toMatchObject({ status: 'not_found' });
    expect(h.records()[0]?.error_code).toBeUndefined();
  });

  it('an IdP with no configured responder is recorded failed RESPONDER_NOT_CONFIGURED', async () => {
    const h = harness(undefined, await withProfile(createMemoryStore()));
    await h.feed([signIn, report('session')]);
    expect(h.records()).toEqual([
      expect.objectContaining({ status: 'failed', error_code: 'RESPONDER_NOT_CONFIGURED' }),
    ]);
  });

  it('waits (retryable RESPONSE_IN_FLIGHT) while another responder holds the claim, and calls nobody', async () => {
    const responder = scripted(['done']);
    const store = await withProfile(createMemoryStore());
    const h = harness(responder, store);
    await store.claim([
      { key: keys.response(account, signIn.alert_id, 'session_revoked'), value: 'claimed', ttlMs: 60_000 },
    ]);
    await expect(h.feed([signIn, report('session')])).rejects.toMatchObject({
      code: 'RESPONSE_IN_FLIGHT',
      retryable: true,
    });
    expect(responder.calls).toHaveLength(0);
    expect(h.records()).toHaveLength(0);
  });

  it('ends nothing for a report of an alert without idp ids, an unknown alert, or an account without a profile', async () => {
    const responder = scripted([]);
    const h = harness(responder, await withProfile(createMemoryStore()));
    const { idp: _, ...plain } = signIn;
    await h.feed([{ ...plain, alert_id: 'al_plain' }, buildReportedAlert(account, 'al_plain', Date.now())]);
    await h.feed([buildReportedAlert(account, 'al_unknown', Date.now(), 'everywhere')]);
    const noProfile = harness(responder);
    await noProfile.feed([signIn, report('everywhere')]);
    expect(responder.calls).toHaveLength(0);
    expect([...h.records(), ...noProfile.records()]).toHaveLength(0);
  });

  it('requests exactly one containment notice per response, on the alert channels, with a replay-stable id', async () => {
    const responder = scripted(['done', new AppError('PROVIDER_AUTH', 'HTTP 403')]);
    const h = harness(responder, await withProfile(createMemoryStore()));
    const seen = { ...signIn, device: { browser: 'Chrome', os: 'Windows', device_type: 'desktop' } };
    await h.feed([seen, report('session')]);
    await h.feed([seen, report('session')]);
    const rid = responseId(signIn.alert_id, 'session_revoked');
    expect(h.notices()).toEqual([
      {
        id: `nt_${rid}`,
        account_id: account,
        kind: 'containment',
        channels: ['email'],
        occurred_at: signIn.occurred_at,
        requested_at: expect.any(String),
        containment: { response_id: rid, action: 'session_revoked', status: 'done', device: seen.device },
      },
    ]);
    expect(NotificationRequestSchema.safeParse(h.notices()[0]).success).toBe(true);

    // A failure is told too (the notice says the security team was told), keyed by its own response.
    const other = { ...signIn, alert_id: 'al_other' };
    await h.feed([other, buildReportedAlert(account, other.alert_id, Date.now(), 'everywhere')]);
    expect(h.notices()).toHaveLength(2);
    expect(h.notices()[1]).toMatchObject({
      id: `nt_${responseId(other.alert_id, 'all_sessions_revoked')}`,
      containment: { action: 'all_sessions_revoked', status: 'failed' },
    });
    expect(h.records()).toHaveLength(2);
  });

  it('skips records that are not LoginAlerts and goes on with the rest', async () => {
    const responder = scripted(['done']);
    const h = harness(responder, await withProfile(createMemoryStore()));
    await h.feed([{ junk: true } as unknown as LoginAlert, signIn, report('session')]);
    expect(responder.calls).toHaveLength(1);
  });
});
