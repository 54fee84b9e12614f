/**
 * The Auth0 and Okta responders against local servers that speak the documented admin requests and answers
 * (test/support/idp-admin-mocks.ts cites them), and the whole report → containment → record path through
 * the real pipeline, broker and report link with the Auth0 one.
 */
import type { IdpRef } from '../../src/contracts/idp.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { ResponseRecord } from '../../src/contracts/records.js';
import { signLink } from '../../src/notify/links.js';
import { createAuth0Responder } from '../../src/responders/auth0.js';
import { idpFetch } from '../../src/responders/http.js';
import { createOktaResponder } from '../../src/responders/okta.js';
import { failure } from '../support/app-error.js';
import { auth0SignIn, enrolQuietly, until } from '../support/delivery-kit.js';
import { uniqueName } from '../support/env.js';
import { type IdpMock, startAuth0Mock, startOktaMock } from '../support/idp-admin-mocks.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';

const CLIENT_SECRET = 'auth0-client-secret-value';
const OKTA_TOKEN = '00okta-api-token-value';
const USER = 'auth0|6620c3b1e4f5a6b7c8d9e0f1';
const auth0Target = (session: string): IdpRef => ({ provider: 'auth0', user_id: USER, session_id: session });

describe('the Auth0 responder, on the wire', () => {
  let mock: Awaited<ReturnType<typeof startAuth0Mock>>;
  const sessions = new Set<string>();
  beforeAll(async () => {
    mock = await startAuth0Mock({
      clientId: 'cid',
      clientSecret: CLIENT_SECRET,
      sessions,
      users: new Set([USER]),
    });
  });
  afterAll(() => mock.stop());
  const responder = () =>
    createAuth0Responder({
      baseUrl: mock.url,
      audience: `${mock.url}/api/v2/`,
      clientId: 'cid',
      clientSecret: CLIENT_SECRET,
    });

  it('takes a client-credentials token once, revokes the session (202) and then finds it gone (404)', async () => {
    sessions.add('sid-1');
    const r = responder();
    expect(await r.act('session_revoked', auth0Target('sid-1'))).toBe('done');
    expect(await r.act('session_revoked', auth0Target('sid-1'))).toBe('not_found');
    expect(mock.issued).toHaveLength(1);
    const revokes = mock.seen.filter((s) => s.url.endsWith('/revoke'));
    expect(revokes.map((s) => [s.method, s.url, s.authorization])).toEqual([
      ['POST', '/api/v2/sessions/sid-1/revoke', 'Bearer tok-1'],
      ['POST', '/api/v2/sessions/sid-1/revoke', 'Bearer tok-1'],
    ]);
  });

  it('ends every session with the user id percent-encoded in the path', async () => {
    expect(await responder().act('all_sessions_revoked', auth0Target('x'))).toBe('done');
    expect(mock.seen.at(-1)).toMatchObject({
      method: 'DELETE',
      url: '/api/v2/users/auth0%7C6620c3b1e4f5a6b7c8d9e0f1/sessions',
    });
  });

  it('reports 429 as retryable PROVIDER_THROTTLED with the wait its x-ratelimit-reset asks for, 5xx as retryable', async () => {
    sessions.add('sid-2');
    const r = responder();
    mock.failNext([429, 503]);
    const throttled = await failure(r.act('session_revoked', auth0Target('sid-2')));
    expect(throttled).toMatchObject({ code: 'PROVIDER_THROTTLED', retryable: true });
    expect(throttled.retryAfterS).toBeGreaterThanOrEqual(0);
    expect(throttled.retryAfterS).toBeLessThanOrEqual(2);
    expect(await failure(r.act('session_revoked', auth0Target('sid-2')))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      retryable: true,
    });
    expect(await r.act('session_revoked', auth0Target('sid-2'))).toBe('done');
  });

  it('a token refused with 401 is dropped and fetched again once; wrong client credentials are PROVIDER_AUTH for good', async () => {
    sessions.add('sid-3');
    const r = responder();
    expect(await r.act('session_revoked', auth0Target('nope'))).toBe('not_found');
    mock.revokeTokens();
    const before = mock.issued.length;
    expect(await r.act('session_revoked', auth0Target('sid-3'))).toBe('done');
    expect(mock.issued.length).toBe(before + 1);

    const wrong = createAuth0Responder({
      baseUrl: mock.url,
      audience: `${mock.url}/api/v2/`,
      clientId: 'cid',
      clientSecret: 'wrong',
    });
    const err = await failure(wrong.act('session_revoked', auth0Target('sid-3')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect(err.message).not.toContain('wrong');
    expect(err.message).not.toContain(CLIENT_SECRET);
  });
});

describe('the Okta responder, on the wire', () => {
  let mock: IdpMock;
  beforeAll(async () => {
    mock = await startOktaMock({ apiToken: OKTA_TOKEN, users: new Set(['00u1qw6mqitPHM8AJ0g7']) });
  });
  afterAll(() => mock.stop());
  const okta = (token = OKTA_TOKEN) => createOktaResponder({ orgUrl: mock.url, apiToken: token });
  const target: IdpRef = { provider: 'okta', user_id: '00u1qw6mqitPHM8AJ0g7' };

  it('clears every session with its OAuth tokens (204) with an SSWS token; an unknown user is not_found', async () => {
    expect(await okta().act('all_sessions_revoked', target)).toBe('done');
    expect(mock.seen.at(-1)).toMatchObject({
      method: 'DELETE',
      url: '/api/v1/users/00u1qw6mqitPHM8AJ0g7/sessions?oauthTokens=true',
      authorization: `SSWS ${OKTA_TOKEN}`,
    });
    expect(await okta().act('all_sessions_revoked', { ...target, user_id: '00uGONE' })).toBe('not_found');
  });

  it('429 is retryable with the wait X-Rate-Limit-Reset asks for; a wrong API token is PROVIDER_AUTH and never echoed', async () => {
    mock.failNext([429]);
    const throttled = await failure(okta().act('all_sessions_revoked', target));
    expect(throttled).toMatchObject({ code: 'PROVIDER_THROTTLED', retryable: true });
    expect(throttled.retryAfterS).toBeLessThanOrEqual(2);
    const denied = await failure(okta('00wrong-token').act('all_sessions_revoked', target));
    expect(denied).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect(denied.message).not.toContain('00wrong-token');
  });
});

describe('every request to an IdP is bounded', () => {
  it('in time (PROVIDER_TIMEOUT, retryable) and in size (PAYLOAD_TOO_LARGE), and never follows a redirect', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(2 * 1024 * 1024, 0x20));
        return;
      }
      res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await failure(idpFetch(`http://127.0.0.1:${port}/slow`, { method: 'GET' }, 300))).toMatchObject({
        code: 'PROVIDER_TIMEOUT',
        retryable: true,
      });
      expect(await failure(idpFetch(`http://127.0.0.1:${port}/huge`, { method: 'GET' }))).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect((await idpFetch(`http://127.0.0.1:${port}/redirect`, { method: 'GET' })).status).toBe(302);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('report → containment → record, through the pipeline (Auth0)', () => {
  let t: TestPipeline;
  let alerts: Watch;
  let responses: Watch;
  let mock: Awaited<ReturnType<typeof startAuth0Mock>>;
  const sessions = new Set<string>();
  const users = new Set<string>();

  beforeAll(async () => {
    mock = await startAuth0Mock({ clientId: 'cid', clientSecret: CLIENT_SECRET, sessions, users });
    t = await startTestPipeline('memory', {
      env: {
        RESPOND_AUTH0_DOMAIN: mock.url,
        RESPOND_AUTH0_CLIENT_ID: 'cid',
        RESPOND_AUTH0_CLIENT_SECRET: CLIENT_SECRET,
      },
    });
    alerts = await t.watch('loginAlerts');
    responses = await t.watch('responses');
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await mock?.stop();
  });

  /** An enrolled account signs in through "Auth0" (an event with its idp block); returns the alert. */
  async function alertedSignIn(session: string): Promise<{ account: string; alert: LoginAlert }> {
    const { account } = await enrolQuietly(t, { email: `${uniqueName('r')}@example.com` });
    const alert = await auth0SignIn(t, alerts, { users, sessions }, account, session);
    expect(alert.idp).toEqual({ provider: 'auth0', user_id: `auth0|${account}`, session_id: session });
    return { account, alert };
  }

  const link = (account: string, alertId: string) =>
    `${t.pipeline.httpUrl}/r/${signLink({ alertId, accountId: account, expiresAt: Math.floor(Date.now() / 1000) + 600 }, t.config.links.secret)}`;
  const confirm = (url: string, scope: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `scope=${scope}`,
    });
  const responsesOf = (account: string) =>
    until(
      'the response record',
      () => {
        const mine = responses.values.filter((v) => v.key === account).map((v) => v.value as ResponseRecord);
        return mine.length > 0 ? mine : undefined;
      },
      30_000,
    );

  it('confirming the report revokes exactly the reported session and records done on login-alerts.responses', async () => {
    const { account, alert } = await alertedSignIn(uniqueName('sid'));
    sessions.add('someone-elses-session');
    expect((await confirm(link(account, alert.alert_id), 'session')).status).toBe(200);
    const [record] = await responsesOf(account);
    expect(record).toMatchObject({
      alert_id: alert.alert_id,
      account_id: account,
      idp: 'auth0',
      action: 'session_revoked',
      status: 'done',
    });
    expect(record?.response_id).toMatch(/^rs_/);
    expect(sessions.has(alert.idp!.session_id!)).toBe(false);
    expect(sessions.has('someone-elses-session')).toBe(true);
    // The dashboard's feed shows the outcome beside the alert.
    const shown = await until('the outcome on the dashboard feed', async () => {
      const list = (await (await fetch(`${t.pipeline.adminUrl}/api/responses`)).json()) as ResponseRecord[];
      return list.find((r) => r.alert_id === alert.alert_id);
    });
    expect(shown).toEqual(record);
    // The person is told what was done, by email (the account's channel), once per response.
    const emailsOf = async () =>
      (
        await outboxLines<{
          alert_id: string;
          account_id: string;
          kind: string;
          subject: string;
          text: string;
        }>(t.config.outboxDir!)
      ).filter((e) => e.account_id === account && e.kind === 'containment');
    const [told] = await until('the containment email in the outbox', async () => {
      const mine = await emailsOf();
      return mine.length > 0 ? mine : undefined;
    });
    expect(told).toMatchObject({
      alert_id: `nt_${record!.response_id}`,
      subject: 'We secured your OpenAI account',
    });
    expect(told!.text).toContain('We signed out the sign-in you reported');
    expect(told!.text).toContain('Next: review your passkeys and security keys');
    expect(told!.text).not.toContain('/r/');
    expect(await emailsOf()).toHaveLength(1);
  }, 60_000);

  it('"Sign out everywhere" ends every session of the account (the choice travels in the confirmed report)', async () => {
    const { account, alert } = await alertedSignIn(uniqueName('sid'));
    expect((await confirm(link(account, alert.alert_id), 'everywhere')).status).toBe(200);
    const report = await until('the user_reported alert', () =>
      alerts.values
        .map((v) => v.value as LoginAlert)
        .find((a) => a.account_id === account && a.kind === 'user_reported'),
    );
    expect(report.report_scope).toBe('everywhere');
    const [record] = await responsesOf(account);
    expect(record).toMatchObject({ action: 'all_sessions_revoked', status: 'done' });
    expect(
      mock.seen.some(
        (s) =>
          s.method === 'DELETE' &&
          s.url === `/api/v2/users/${encodeURIComponent(`auth0|${account}`)}/sessions`,
      ),
    ).toBe(true);
  }, 60_000);
});
