/** The IdP webhooks on the public listener, end to end on the real broker: body → auth.events → alert. */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import type { AuthEvent } from '../../src/contracts/auth-event.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { DlqRecord } from '../../src/contracts/records.js';
import { AppError } from '../../src/errors.js';
import { createHttpApp } from '../../src/http/app.js';
import { ingestRoutes } from '../../src/http/ingest.js';
import { type IdpFormat, mapIdpText } from '../../src/ingest/index.js';
import { silentLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { uniqueName } from '../support/env.js';
import { profile } from '../support/events.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';

const AUTH0_TOKEN = 'auth0-token-0123456789abcdef';
const OKTA_TOKEN = 'okta-token-0123456789abcdef';
const fixture = (name: string) => readFileSync(join('test/fixtures/idp', name), 'utf8');
const mapped = (idp: IdpFormat, text: string): AuthEvent[] =>
  mapIdpText(idp, text, { now: Date.now() }).flatMap((o) => (o.kind === 'event' ? [o.event] : []));

describe('ingest webhooks', () => {
  let t: TestPipeline;
  let alerts: Watch;
  let events: Watch;
  beforeAll(async () => {
    t = await startTestPipeline('memory', {
      env: { INGEST_AUTH0_TOKEN: AUTH0_TOKEN, INGEST_OKTA_TOKEN: OKTA_TOKEN },
      only: ['account-security', 'login-events'],
    });
    alerts = await t.watch('loginAlerts');
    events = await t.watch('authEvents');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const post = (path: string, body: string, authorization?: string) =>
    fetch(`${t.pipeline.httpUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body,
    });
  const postAuth0 = (body: string, token = AUTH0_TOKEN) => post('/ingest/auth0', body, `Bearer ${token}`);
  const postOkta = (body: string, token = OKTA_TOKEN) => post('/ingest/okta', body, token);

  async function enroll(accounts: Iterable<string>): Promise<void> {
    const list = [...new Set(accounts)];
    await t.publish(
      'accountSecurity',
      list.map((a) => ({ key: a, value: profile(a, { contacts: { email: 'user@example.com' } }) })),
    );
    for (const a of list) await t.profileApplied(a);
  }

  const alertsOf = (account: string) =>
    alerts.values.map((v) => v.value as LoginAlert).filter((a) => a.account_id === account);

  /** An Auth0 `s` record of the cited sample, for a fresh user and log id (signed in now). */
  function auth0SignIn(user: string, logId = uniqueName('log')): Record<string, unknown> {
    const [first] = JSON.parse(fixture('auth0-log-stream.json')) as { data: Record<string, unknown> }[];
    const data: Record<string, unknown> = { ...first!.data, user_id: user, date: new Date().toISOString() };
    const details = { ...(data.details as object), session_id: uniqueName('sess') };
    return { log_id: logId, data: { ...data, details } };
  }

  it('alerts on the sign-ins of the cited Auth0 log stream sample', async () => {
    const body = fixture('auth0-log-stream.json');
    const expected = mapped('auth0', body);
    const outcomes = mapIdpText('auth0', body, { now: Date.now() });
    await enroll(expected.map((e) => e.account_id));
    const res = await postAuth0(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      published: expected.length,
      ignored: outcomes.filter((o) => o.kind === 'ignored').length,
      dead_lettered: 0,
    });
    const success = expected.find((e) => e.type === 'login.succeeded')!;
    await alerts.waitFor(1, success.account_id);
    expect(alertsOf(success.account_id).map((a) => a.event_id)).toContain(success.event_id);
  });

  it('alerts on the sign-in of the cited Okta event hook sample', async () => {
    const body = fixture('okta-event-hook.json');
    const [signIn] = mapped('okta', body);
    await enroll([signIn!.account_id]);
    const res = await postOkta(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ published: 1, ignored: 0, dead_lettered: 0 });
    await alerts.waitFor(1, signIn!.account_id);
    expect(alertsOf(signIn!.account_id)[0]?.event_id).toBe(signIn!.event_id);
  });

  it('answers the Okta verification challenge with the exact JSON, only with the token', async () => {
    const challenge = 'iObIvGSzsQ3-r2LBdlUS19TwWnEXxlW1bB_gyBLlrYE';
    const asked = (authorization?: string) =>
      fetch(`${t.pipeline.httpUrl}/ingest/okta`, {
        headers: {
          'x-okta-verification-challenge': challenge,
          ...(authorization ? { authorization } : {}),
        },
      });
    const ok = await asked(OKTA_TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(`{"verification":"${challenge}"}`);
    expect((await asked()).status).toBe(401);
    expect((await asked(`${OKTA_TOKEN}x`)).status).toBe(401);
  });

  it('refuses a wrong or missing token with 401 and publishes nothing', async () => {
    const user = uniqueName('auth0|u');
    const refused = auth0SignIn(user);
    const body = JSON.stringify([refused]);
    const answers = [
      await postAuth0(body, 'wrong-token-0123456789abcdef'),
      await post('/ingest/auth0', body),
      await post('/ingest/auth0', body, AUTH0_TOKEN), // the token without "Bearer "
      await postOkta(fixture('okta-event-hook.json'), `Bearer ${OKTA_TOKEN}`),
      await post('/ingest/okta', fixture('okta-event-hook.json')),
    ];
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ error: 'unauthorized' });
    }
    // A marker for the same account (same partition) through the right door: once it is on
    // auth.events, a refused record would have been too.
    const marker = auth0SignIn(user);
    expect((await postAuth0(JSON.stringify([marker]))).status).toBe(200);
    const mine = await events.waitFor(1, user);
    expect(mine.map((r) => (r.value as AuthEvent).event_id)).toEqual([`auth0:${marker.log_id}`]);
  });

  it('refuses a body over 1 MB with 413, and not-JSON or the wrong shape with 400', async () => {
    const huge = JSON.stringify([{ log_id: 'x', data: { type: 's', pad: 'p'.repeat(1024 * 1024) } }]);
    expect((await postAuth0(huge)).status).toBe(413);
    expect((await postOkta(huge)).status).toBe(413);
    for (const [status, res] of [
      [400, await postAuth0('{"log_id": "x", "data":')],
      [400, await postAuth0('42')],
      [400, await postAuth0('')],
      [400, await postOkta('not json at all')],
      [400, await postOkta('{"eventType": "com.okta.oauth2.tokens.transform", "data": {}}')],
    ] as const) {
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: 'bad request' });
    }
  });

  it('alerts once when the IdP sends the same batch twice', async () => {
    const user = uniqueName('auth0|retry');
    await enroll([user]);
    const body = JSON.stringify([auth0SignIn(user)]);
    expect((await postAuth0(body)).status).toBe(200);
    expect((await postAuth0(body)).status).toBe(200);
    // Both deliveries reached auth.events; the consumer dedupes on the IdP-derived event id.
    await events.waitFor(2, user);
    const marker = auth0SignIn(user);
    expect((await postAuth0(JSON.stringify([marker]))).status).toBe(200);
    await events.waitFor(3, user);
    await alerts.waitFor(2, user);
    const [first] = JSON.parse(body) as { log_id: string }[];
    expect(alertsOf(user).map((a) => a.event_id)).toEqual([
      `auth0:${first!.log_id}`,
      `auth0:${marker.log_id}`,
    ]);
  });

  it('dead-letters a record that cannot become an AuthEvent, with the reason, and publishes the rest', async () => {
    const dlq = await t.watch('dlq');
    const user = uniqueName('auth0|dlq');
    const bad = { log_id: uniqueName('bad'), data: { type: 's', user_id: user, date: 'yesterday' } };
    const good = auth0SignIn(user);
    const res = await postAuth0(JSON.stringify([bad, good]));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ published: 1, ignored: 0, dead_lettered: 1 });
    const [record] = (await dlq.waitFor(1, bad.log_id)).map((r) => r.value as DlqRecord);
    expect(record!.source).toEqual({ topic: 'ingest:auth0', partition: 0, offset: '0' });
    expect(record!.error.code).toBe('INVALID_EVENT');
    expect(JSON.parse(Buffer.from(record!.value!, 'base64').toString('utf8'))).toEqual(bad);
    await events.waitFor(1, user);
  });

  it('counts records per IdP and outcome', async () => {
    const text = await (await fetch(`${t.pipeline.adminUrl}/metrics`)).text();
    expect(text).toMatch(/login_alerts_ingest_records_total\{idp="auth0",outcome="published"\} [1-9]/);
    expect(text).toMatch(/login_alerts_ingest_records_total\{idp="okta",outcome="published"\} [1-9]/);
  });
});

describe('ingest webhooks without tokens', () => {
  let t: TestPipeline;
  beforeAll(async () => {
    t = await startTestPipeline('memory', { only: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('has no ingest routes (404)', async () => {
    for (const [method, path] of [
      ['POST', '/ingest/auth0'],
      ['POST', '/ingest/okta'],
      ['GET', '/ingest/okta'],
    ] as const) {
      const res = await fetch(`${t.pipeline.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${AUTH0_TOKEN}` },
        body: method === 'POST' ? '[]' : undefined,
      });
      expect(res.status).toBe(404);
    }
  });
});

describe('ingest webhook while the broker refuses for now', () => {
  it('answers 503 with Retry-After, so the IdP sends the batch again', async () => {
    const app = createHttpApp({ name: 'public', log: silentLogger(), bodyLimit: 1024 * 1024 });
    await app.register(rateLimit, { global: false });
    const unavailable = new AppError('KAFKA_UNAVAILABLE', 'broker away', { retryable: true });
    await app.register(
      ingestRoutes({
        tokens: { auth0: AUTH0_TOKEN },
        topic: 'auth.events',
        dead: {
          record: () => ({ topic: 'dlq', key: '', value: null }),
          publish: () => Promise.reject(unavailable),
        },
        metrics: createMetrics(),
        log: silentLogger(),
      }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/ingest/auth0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${AUTH0_TOKEN}`, 'content-type': 'application/json' },
      body: fixture('auth0-log-stream.json'),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    await app.close();
  });
});
