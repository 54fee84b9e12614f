/**
 * The Keycloak provider against a real Keycloak: realm, client and users made through the admin REST API,
 * password grants (one right, several wrong), AuthEvents on the pipeline's auth.events topic, and the
 * product's own pipeline alerting the enrolled user by email.
 *
 * Keycloak reaches Kafka through a TCP gate that is closed when Keycloak starts, so the provider first meets
 * a Kafka it cannot reach: the outage cases run first and open the gate; every later case sees Kafka up.
 * One Keycloak serves all cases (it is the slow part); the provider's brokers are per process, and only a
 * client that has never connected can be cut off by a gate in front of the bootstrap address.
 *
 * The broker is this test's own and speaks only SASL_SSL (SCRAM-SHA-512, a CA the test made) with Kafka's
 * authorizer on: Keycloak's principal holds nothing but WRITE on auth.events, the ACL the README documents.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { AuthEventSchema } from '../../src/contracts/auth-event.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { DeliveryReceipt, ResponseRecord } from '../../src/contracts/records.js';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../../src/kafka/local-broker.js';
import { signLink } from '../../src/notify/links.js';
import { addVirtualPasskeyAuthenticator, artifactPath, launchChromium } from '../support/browser.js';
import { receiptsOf, until } from '../support/delivery-kit.js';
import { uniqueName } from '../support/env.js';
import { profile } from '../support/events.js';
import { freePort, type RunningKeycloak, startKeycloak } from '../support/keycloak.js';
import {
  browserUrl,
  createPasskeyFlow,
  registerPasskey,
  signInWithPasskey,
} from '../support/keycloak-passkey.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';
import { createTestCa, type TestCa } from '../support/tls-certs.js';

/** Keycloak's first start here builds its runtime (1–3 minutes on a busy two-core machine). */
const KEYCLOAK_START_MS = 300_000;
/** The provider's buffer (LOGIN_ALERTS_BUFFER) and the sign-ins made while Kafka is away: 5 must be dropped. */
const BUFFER = 10;
const SIGN_INS_DOWN = BUFFER + 5;
const SIGN_INS_UP = SIGN_INS_DOWN;
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0';

/** The AAGUID of Chromium's DevTools virtual authenticator (kDeviceAaguid in device/fido/virtual_ctap2_device.cc). */
const VIRTUAL_AUTHENTICATOR_AAGUID = '01020304-0506-0708-0102-030405060708';

/** The broker's own user (a super user, also the pipeline's) and Keycloak's, which may only write auth.events. */
const BROKER_USER = { name: 'broker-admin', password: 'broker-admin-pw' };
const KEYCLOAK_USER = { name: 'keycloak', password: 'keycloak-pw-0123' };

let ca: TestCa;
let broker: LocalBroker;
let kc: RunningKeycloak;
let gate: TcpGate;
let t: TestPipeline;
let events: Watch;
let alerts: Watch;
let receipts: Watch;
const realm = uniqueName('realm').replace(/[^a-z0-9-]/gi, '-');
const product = 'keycloak-demo';

/** An admin token: a password grant in the master realm, which has no login-alerts listener. */
const adminGrant = () =>
  fetch(`${kc.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: 'admin',
      password: 'admin',
    }),
  });

let cachedToken: { value: string; until: number } | undefined;
/** Each grant hashes a password: reuse the token well inside its 60 s lifetime. */
async function adminToken(): Promise<string> {
  if (cachedToken && Date.now() < cachedToken.until) return cachedToken.value;
  const started = Date.now();
  const value = ((await (await adminGrant()).json()) as { access_token: string }).access_token;
  cachedToken = { value, until: started + 30_000 };
  return value;
}

async function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const token = await adminToken();
  const res = await fetch(`${kc.url}/admin/realms${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

const grant = (password: string, username = 'alice', userAgent = CHROME) =>
  fetch(`${kc.url}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'user-agent': userAgent },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'app', username, password }),
  });

/** `count` password grants one after another; every one must succeed. Returns each one's milliseconds. */
async function timed(count: number, signIn: () => Promise<Response>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await signIn();
    ms.push(performance.now() - started);
    expect(res.status).toBe(200);
  }
  return ms;
}

const bobSignsIn = () => grant('bob-pass', 'bob');

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  return `p50 ${p50.toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms (n=${ms.length})`;
};

/** Creates a user enrolled with an email contact and returns its Keycloak user id. */
async function enrolledUser(username: string, password: string): Promise<string> {
  await admin(`/${realm}/users`, {
    body: {
      username,
      enabled: true,
      email: `${username}@example.com`,
      emailVerified: true,
      firstName: username,
      lastName: 'Doe',
      credentials: [{ type: 'password', value: password, temporary: false }],
    },
  });
  const [user] = (await (await admin(`/${realm}/users?username=${username}&exact=true`)).json()) as {
    id: string;
  }[];
  const id = user?.id ?? '';
  await t.publish('accountSecurity', [
    { key: id, value: profile(id, { contacts: { email: `${username}@example.com` } }) },
  ]);
  await t.profileApplied(id);
  return id;
}

let userId: string;
let bobId: string;

/** WRITE on the topic, nothing else: what Keycloak's principal needs (an idempotent producer included). */
async function grantWriteOnly(topic: string, principal: string): Promise<void> {
  const admin = t.pipeline.services.kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal,
          host: '*',
          operation: AclOperationTypes.WRITE,
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  ca = createTestCa('login-alerts-keycloak-test-ca');
  broker = await startLocalBroker({
    port: 0,
    home: kafkaHomeFromEnv(process.env),
    heap: '256m',
    security: {
      ...ca.issue('kafka', ['127.0.0.1', 'localhost']),
      caFile: ca.caFile,
      users: [BROKER_USER, KEYCLOAK_USER],
      authorizer: true,
    },
  });
  t = await startTestPipeline('memory', { env: pipelineKafkaEnv() });
  await grantWriteOnly(t.config.topics.authEvents, `User:${KEYCLOAK_USER.name}`);
  events = await t.watch('authEvents');
  alerts = await t.watch('loginAlerts');
  receipts = await t.watch('deliveries');
  gate = await startTcpGate(broker.bootstrap);
  kc = await startKeycloak(
    {
      LOGIN_ALERTS_KAFKA_BROKERS: gate.address,
      LOGIN_ALERTS_TOPIC: t.config.topics.authEvents,
      LOGIN_ALERTS_PRODUCT: product,
      LOGIN_ALERTS_BUFFER: String(BUFFER),
      LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      LOGIN_ALERTS_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      LOGIN_ALERTS_KAFKA_SASL_USERNAME: KEYCLOAK_USER.name,
      LOGIN_ALERTS_KAFKA_SASL_PASSWORD: KEYCLOAK_USER.password,
      LOGIN_ALERTS_KAFKA_SSL_CA_FILE: ca.caFile,
    },
    KEYCLOAK_START_MS,
  );
  console.log(
    `Keycloak ready in ${(kc.startMs / 1000).toFixed(1)} s, RSS ${Math.round((kc.rssKb() ?? 0) / 1024)} MB`,
  );
  await admin('', {
    body: { realm, enabled: true, eventsEnabled: true, eventsListeners: ['login-alerts', 'jboss-logging'] },
  });
  await admin(`/${realm}/clients`, {
    body: { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true },
  }).catch(async (err: Error) => {
    // Keycloak's answer is a bare 500: its log (removed when it stops) says why.
    const lines = (await kc.log()).split('\n').filter((l) => /ERROR|Exception|login-alerts/.test(l));
    throw new Error(`${err.message}\nKeycloak's log:\n${lines.slice(-30).join('\n')}`);
  });
  [userId, bobId] = await Promise.all([
    enrolledUser('alice', 's3cret-pass'),
    enrolledUser('bob', 'bob-pass'),
  ]);
}, KEYCLOAK_START_MS + 180_000);

afterAll(async () => {
  console.log(`Keycloak RSS at the end: ${Math.round((kc?.rssKb() ?? 0) / 1024)} MB`);
  await kc?.stop();
  await gate?.stop();
  await t?.stop();
  await broker?.stop();
  ca?.remove();
}, 60_000);

/** The pipeline's Kafka settings: the test broker's SASL_SSL listener as its super user. */
const pipelineKafkaEnv = () => ({
  KAFKA_BROKERS: broker.bootstrap,
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: ca.caFile,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: BROKER_USER.name,
  KAFKA_SASL_PASSWORD: BROKER_USER.password,
});

const alertsOf = (kind: string, account = userId) =>
  alerts.values.map((v) => v.value as LoginAlert).filter((a) => a.account_id === account && a.kind === kind);

const eventsOf = (account: string) =>
  events.values
    .filter((v) => v.key === account)
    .map((v) => v.value as { event_id: string; client: { user_agent?: string } });

/** Keycloak's log lines from the provider's publisher. */
const publisherLog = async () =>
  (await kc.log())
    .split('\n')
    .filter((line) => line.includes('login-alerts: ') && !line.includes('publishing to'));

describe('the login-alerts Keycloak provider while its Kafka is unreachable', () => {
  let down: number[] = [];
  let without: number[] = [];
  let opened = 0;
  afterAll(() => gate.open());

  it('signs users in as usual, holds LOGIN_ALERTS_BUFFER events and drops, counts and logs the rest', async () => {
    // A fresh JVM is slow at first: these grants warm it up and are the reference without the provider.
    without = await timed(SIGN_INS_DOWN, adminGrant);
    down = await timed(SIGN_INS_DOWN, bobSignsIn);
    console.log(
      `password grants with Kafka unreachable: ${summary(down)}; master realm (no provider): ${summary(without)}`,
    );
    const logged = await until(
      'the provider to log the first drop',
      async () => (await publisherLog()).find((l) => l.includes('event dropped')),
      10_000,
    );
    expect(logged).toContain(`event dropped (buffer of ${BUFFER} full); 1 dropped, 0 sent`);
    expect((await publisherLog()).join('\n')).toMatch(/Kafka at 127\.0\.0\.1:\d+ not reachable yet/);
    expect(await kc.log()).toMatch(
      /publishing to \S+ on 127\.0\.0\.1:\d+ over SASL_SSL as SCRAM-SHA-512 user keycloak/,
    );
    expect(await kc.log()).not.toContain(KEYCLOAK_USER.password);
    expect(eventsOf(bobId)).toHaveLength(0);
  }, 120_000);

  it('delivers the buffered events once Kafka is reachable, reports the drops, and alerts on later sign-ins', async () => {
    gate.open();
    opened = Date.now();
    const buffered = await events.waitFor(BUFFER, bobId, 60_000);
    const recoveredMs = Date.now() - opened;
    expect(buffered).toHaveLength(BUFFER);
    const again = await until(
      'the provider to log that it delivers again',
      async () => (await publisherLog()).find((l) => l.includes('delivering again')),
      10_000,
    );
    expect(again).toContain(`delivering again; ${SIGN_INS_DOWN - BUFFER} dropped`);
    console.log(`Kafka reachable → ${BUFFER} buffered events on auth.events: ${recoveredMs} ms`);
    const first = await until('a new-sign-in alert for bob', () => alertsOf('new_login', bobId)[0], 60_000);
    console.log(`Kafka reachable → first alert: ${Date.now() - opened} ms`);

    const up = await timed(SIGN_INS_UP, bobSignsIn);
    console.log(
      `password grants with Kafka up: ${summary(up)}; unreachable: ${summary(down)}; master realm (no provider): ${summary(without)}`,
    );
    expect((await grant('bob-pass', 'bob', FIREFOX)).status).toBe(200);
    await events.waitFor(BUFFER + SIGN_INS_UP + 1, bobId, 30_000);
    const firefox = eventsOf(bobId).at(-1);
    expect(firefox?.client.user_agent).toBe(FIREFOX);
    const later = await until(
      'the alert on the sign-in from a new device after the outage',
      () => alertsOf('new_login', bobId).find((a) => a.event_id === firefox?.event_id),
      60_000,
    );
    expect(later.alert_id).not.toBe(first.alert_id);
    expect(later.reasons).toContain('new_device');
  }, 180_000);
});

describe('the login-alerts Keycloak provider over SASL_SSL with a write-only ACL', () => {
  it('publishes a password sign-in as a valid AuthEvent keyed by the Keycloak user id, and the pipeline emails an alert', async () => {
    const before = Date.now();
    expect((await grant('s3cret-pass')).status).toBe(200);
    const [record] = await events.waitFor(1, userId, 30_000);
    const parsed = AuthEventSchema.safeParse(record?.value);
    expect(parsed.success).toBe(true);
    expect(record?.value).toMatchObject({
      type: 'login.succeeded',
      account_id: userId,
      product,
      source: 'keycloak',
      schema_version: 1,
      client: { ip: '127.0.0.1', user_agent: expect.stringMatching(/Chrome\/131/) },
      auth: { method: 'password' },
    });
    expect((record?.value as { event_id?: string } | undefined)?.event_id).toMatch(
      /^keycloak:[0-9a-f-]{36}$/,
    );
    const sent = await until(
      'the sign-in alert email to be sent',
      () => {
        const alert = alertsOf('new_login')[0];
        return (
          alert &&
          receiptsOf(receipts, userId).find(
            (r: DeliveryReceipt) =>
              r.alert_id === alert.alert_id && r.channel === 'email' && r.status === 'sent',
          )
        );
      },
      60_000,
    );
    console.log(`password grant → alert email sent: ${Date.now() - before} ms (receipt at ${sent.at})`);
  }, 90_000);

  it('publishes wrong passwords as login.failed bad_password, and alerts once they pass the failure threshold', async () => {
    for (let i = 0; i < t.config.failureThreshold; i++)
      expect((await grant('wrong-password')).status).toBe(400); // invalid_grant
    const failed = await until(
      'the failed sign-ins on auth.events',
      () => {
        const mine = events.values
          .map((v) => v.value as { type: string; auth: { failure_reason?: string } })
          .filter((e) => e.type === 'login.failed');
        return mine.length >= t.config.failureThreshold && mine;
      },
      30_000,
    );
    expect(failed.every((e) => e.auth.failure_reason === 'bad_password')).toBe(true);
    const alert = await until('a failed-attempts alert', () => alertsOf('failed_attempts')[0], 60_000);
    expect(alert.reasons).toContain('failure_burst');
  }, 90_000);
});

/**
 * Containment: a second pipeline (its own topics, store and link secret) reads the same auth.events with a
 * Keycloak responder configured, so the pipeline above stays as it is. Its service account is a confidential
 * client holding realm-management → manage-users (and view-users, to list credentials).
 */
describe('"This wasn\'t me" ends the intrusion at Keycloak', () => {
  const RESPOND_CLIENT = 'login-alerts-respond';
  const RESPOND_SECRET = 'respond-client-secret-0123456789';
  let t2: TestPipeline;
  let alerts2: Watch;
  let responses2: Watch;
  let carolId: string;
  /** The responding pipeline's public port, so the links in its emails point at it. */
  let linkPort: number;

  beforeAll(async () => {
    gate.open(); // open already when the outage cases ran before this block
    await admin(`/${realm}/clients`, {
      body: {
        clientId: RESPOND_CLIENT,
        publicClient: false,
        secret: RESPOND_SECRET,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: false,
      },
    });
    const json = async <T>(path: string) => (await (await admin(path)).json()) as T;
    const [client] = await json<{ id: string }[]>(`/${realm}/clients?clientId=${RESPOND_CLIENT}`);
    const account = await json<{ id: string }>(`/${realm}/clients/${client?.id}/service-account-user`);
    const [management] = await json<{ id: string }[]>(`/${realm}/clients?clientId=realm-management`);
    const roles = await Promise.all(
      ['manage-users', 'view-users'].map((r) =>
        json<object>(`/${realm}/clients/${management?.id}/roles/${r}`),
      ),
    );
    await admin(`/${realm}/users/${account.id}/role-mappings/clients/${management?.id}`, { body: roles });
    linkPort = await freePort();
    t2 = await startTestPipeline('memory', {
      env: {
        ...pipelineKafkaEnv(),
        HTTP_PORT: String(linkPort),
        PUBLIC_BASE_URL: `http://127.0.0.1:${linkPort}`,
        TOPIC_AUTH_EVENTS: t.config.topics.authEvents,
        RESPOND_KEYCLOAK_URL: kc.url,
        RESPOND_KEYCLOAK_CLIENT_ID: RESPOND_CLIENT,
        RESPOND_KEYCLOAK_CLIENT_SECRET: RESPOND_SECRET,
      },
      only: ['account-security', 'login-events', 'dispatch', 'respond'],
    });
    alerts2 = await t2.watch('loginAlerts');
    responses2 = await t2.watch('responses');
    await admin(`/${realm}/users`, {
      body: {
        username: 'carol',
        enabled: true,
        email: 'carol@example.com',
        emailVerified: true,
        firstName: 'Carol',
        lastName: 'Doe',
        credentials: [{ type: 'password', value: 'carol-pass', temporary: false }],
      },
    });
    carolId = (await json<{ id: string }[]>(`/${realm}/users?username=carol&exact=true`))[0]?.id ?? '';
    await t2.publish('accountSecurity', [{ key: carolId, value: profile(carolId) }]);
    await t2.profileApplied(carolId);
  }, 120_000);

  afterAll(async () => {
    await t2?.stop();
  }, 60_000);

  const carolSignsIn = async (userAgent: string) => {
    const res = await grant('carol-pass', 'carol', userAgent);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      access_token: string;
      refresh_token: string;
      session_state?: string;
    };
    // The session id: the answer's session_state, else the access token's sid claim.
    const claims = JSON.parse(
      Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    return { refresh_token: body.refresh_token, session_state: body.session_state ?? (claims.sid as string) };
  };
  const refresh = (refreshToken: string) =>
    fetch(`${kc.url}/realms/${realm}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'app',
        refresh_token: refreshToken,
      }),
    });
  const carolSessions = async () =>
    ((await (await admin(`/${realm}/users/${carolId}/sessions`)).json()) as { id: string }[]).map(
      (s) => s.id,
    );
  const alertOf = (match: (a: LoginAlert) => boolean, account = carolId) =>
    until(
      'the alert in the responding pipeline',
      () =>
        alerts2.values.map((v) => v.value as LoginAlert).find((a) => a.account_id === account && match(a)),
      60_000,
    );
  const confirm = (alertId: string, scope: 'session' | 'everywhere', account = carolId) =>
    fetch(
      `${t2.pipeline.httpUrl}/r/${signLink(
        { alertId, accountId: account, expiresAt: Math.floor(Date.now() / 1000) + 600 },
        t2.config.links.secret,
      )}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `scope=${scope}`,
      },
    );
  const responseTo = (alertId: string, action: string) =>
    until(
      `the ${action} response`,
      () =>
        responses2.values
          .map((v) => v.value as ResponseRecord)
          .find((r) => r.alert_id === alertId && r.action === action),
      60_000,
    );

  it('a password grant makes a session; the confirmed report ends it: gone from the admin API, its refresh token refused', async () => {
    const intruder = await carolSignsIn(FIREFOX);
    const alert = await alertOf(
      (a) => a.kind === 'new_login' && a.idp?.session_id === intruder.session_state,
    );
    expect(alert.idp).toEqual({
      provider: 'keycloak',
      realm,
      user_id: carolId,
      session_id: intruder.session_state,
    });
    expect(await carolSessions()).toContain(intruder.session_state);
    const clicked = Date.now();
    expect((await confirm(alert.alert_id, 'session')).status).toBe(200);
    const record = await responseTo(alert.alert_id, 'session_revoked');
    console.log(`report confirmed → Keycloak session ended and recorded: ${Date.now() - clicked} ms`);
    expect(record).toMatchObject({ account_id: carolId, idp: 'keycloak', status: 'done' });
    expect(await carolSessions()).not.toContain(intruder.session_state);
    const refused = await refresh(intruder.refresh_token);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
  }, 120_000);

  it('"Sign out everywhere" ends a second session too', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0';
    const first = await carolSignsIn(CHROME);
    const intruder = await carolSignsIn(ua);
    const alert = await alertOf(
      (a) => a.kind === 'new_login' && a.idp?.session_id === intruder.session_state,
    );
    expect(await carolSessions()).toEqual(
      expect.arrayContaining([first.session_state, intruder.session_state]),
    );
    expect((await confirm(alert.alert_id, 'everywhere')).status).toBe(200);
    expect(await responseTo(alert.alert_id, 'all_sessions_revoked')).toMatchObject({ status: 'done' });
    expect(await carolSessions()).toEqual([]);
    for (const session of [first, intruder]) expect((await refresh(session.refresh_token)).status).toBe(400);
  }, 120_000);

  it('a reported credential.added removes that credential from the account', async () => {
    // A user created with a passkey as Keycloak stores one (a realm import's shape): its WebAuthn id in
    // credentialData.
    const webauthnId = 'q83vEjRWeJCrze8SNFZ4kA';
    await admin(`/${realm}/users`, {
      body: {
        username: 'dave',
        enabled: true,
        email: 'dave@example.com',
        emailVerified: true,
        firstName: 'Dave',
        lastName: 'Doe',
        credentials: [
          { type: 'password', value: 'dave-pass', temporary: false },
          {
            type: 'webauthn-passwordless',
            userLabel: 'Unknown passkey',
            credentialData: JSON.stringify({
              aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
              credentialId: `${webauthnId}==`,
              counter: 0,
              attestationStatementFormat: 'none',
              credentialPublicKey: 'pQECAyYgASFYIPw',
            }),
            secretData: '{}',
          },
        ],
      },
    });
    const daveId =
      ((await (await admin(`/${realm}/users?username=dave&exact=true`)).json()) as { id: string }[])[0]?.id ??
      '';
    await t2.publish('accountSecurity', [{ key: daveId, value: profile(daveId) }]);
    await t2.profileApplied(daveId);
    const credentials = async () =>
      (
        (await (await admin(`/${realm}/users/${daveId}/credentials`)).json()) as {
          id: string;
          type: string;
        }[]
      ).map((c) => c.type);
    expect(await credentials()).toContain('webauthn-passwordless');
    // The event the provider publishes for the registration (UPDATE_CREDENTIAL with public_key_credential_id).
    const eventId = `keycloak:${uniqueName('reg')}`;
    await t.publish('authEvents', [
      {
        key: daveId,
        value: {
          event_id: eventId,
          schema_version: 1,
          type: 'credential.added',
          occurred_at: new Date().toISOString(),
          account_id: daveId,
          product,
          client: { ip: '127.0.0.1', user_agent: FIREFOX },
          auth: { method: 'passkey', credential_id: webauthnId },
          source: 'keycloak',
          idp: { provider: 'keycloak', realm, user_id: daveId, credential_id: webauthnId },
        },
      },
    ]);
    const alert = await alertOf((a) => a.kind === 'account_change' && a.event_id === eventId, daveId);
    expect((await confirm(alert.alert_id, 'session', daveId)).status).toBe(200);
    expect(await responseTo(alert.alert_id, 'credential_removed')).toMatchObject({ status: 'done' });
    expect(await credentials()).not.toContain('webauthn-passwordless');
    expect(await credentials()).toContain('password');
  }, 120_000);

  /**
   * The whole story in Chromium: a passkey registered on Keycloak's own pages by a DevTools virtual
   * authenticator, a sign-in with it alone, the alert email opened from the outbox, its "This wasn't me"
   * followed and confirmed, and that same browser signed out at Keycloak.
   */
  it('a passkey sign-in in Chromium is alerted; its email\'s "This wasn\'t me", confirmed, signs that browser out', async () => {
    const callback = createServer((_req, res) => res.writeHead(200).end('signed in'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    const redirectUri = `http://localhost:${(callback.address() as AddressInfo).port}/cb`;
    const flowId = await createPasskeyFlow(admin, realm, 'passkey-browser');
    await admin(`/${realm}/clients`, {
      body: {
        clientId: 'web',
        publicClient: true,
        standardFlowEnabled: true,
        directAccessGrantsEnabled: false,
        redirectUris: [redirectUri],
        authenticationFlowBindingOverrides: { browser: flowId },
      },
    });
    const erin = { username: 'erin', password: 'erin-pass-0123' };
    await admin(`/${realm}/users`, {
      body: {
        ...{ username: erin.username, enabled: true, email: 'erin@example.com', emailVerified: true },
        ...{ firstName: 'Erin', lastName: 'Doe' },
        credentials: [{ type: 'password', value: erin.password, temporary: false }],
        requiredActions: ['webauthn-register-passwordless'],
      },
    });
    const erinId =
      ((await (await admin(`/${realm}/users?username=erin&exact=true`)).json()) as { id: string }[])[0]?.id ??
      '';
    await t2.publish('accountSecurity', [
      { key: erinId, value: profile(erinId, { contacts: { email: 'erin@example.com' } }) },
    ]);
    await t2.profileApplied(erinId);
    const sessionsOf = async () =>
      ((await (await admin(`/${realm}/users/${erinId}/sessions`)).json()) as { id: string }[]).map(
        (x) => x.id,
      );
    /** The details of Keycloak's own LOGIN event for the session (the realm stores events). */
    const keycloakLogin = async (sessionId: string | undefined) => {
      const stored = (await (await admin(`/${realm}/events?user=${erinId}&type=LOGIN`)).json()) as {
        sessionId?: string;
        details?: Record<string, string>;
      }[];
      return stored.find((e) => e.sessionId === sessionId)?.details;
    };
    const signInEvent = (sessionId: string | undefined) =>
      until(
        'the sign-in on auth.events',
        () =>
          events.values
            .map((v) => v.value as { type: string; session_id?: string; auth: object })
            .find((e) => e.type === 'login.succeeded' && e.session_id === sessionId),
        30_000,
      );

    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const authenticator = await addVirtualPasskeyAuthenticator(context, page);
      // Registered from another device (a Firefox user agent), so the passkey sign-in is a new one.
      await authenticator.cdp.send('Network.setUserAgentOverride', { userAgent: FIREFOX });
      await registerPasskey(page, kc.url, realm, erin, 'Erin passkey');
      const [passwordSession] = await sessionsOf();
      const [credential] = await authenticator.credentials();
      expect(credential).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
      const stored = (await (await admin(`/${realm}/users/${erinId}/credentials`)).json()) as {
        type: string;
        userLabel?: string;
      }[];
      expect(stored).toContainEqual(
        expect.objectContaining({ type: 'webauthn-passwordless', userLabel: 'Erin passkey' }),
      );
      // The registration reaches auth.events with the authenticator's AAGUID (Chromium's virtual one, which no
      // vendor registered: its alert names no authenticator).
      const added = await until(
        'the passkey registration on auth.events',
        () =>
          events.values
            .map((v) => v.value as { type: string; account_id: string; auth: object })
            .find((e) => e.account_id === erinId && e.type === 'credential.added'),
        30_000,
      );
      expect(added.auth).toMatchObject({ method: 'passkey', aaguid: VIRTUAL_AUTHENTICATOR_AAGUID });
      const addedAlert = await alertOf((a) => a.kind === 'account_change', erinId);
      expect(addedAlert).toMatchObject({ auth_method: 'passkey' });
      expect(addedAlert.authenticator).toBeUndefined();
      // The password sign-in that registered it: its LOGIN keeps the registration's details (credential_type
      // webauthn-passwordless among them), and is still a password sign-in naming no credential.
      expect(await keycloakLogin(passwordSession)).toMatchObject({
        credential_type: 'webauthn-passwordless',
        public_key_credential_aaguid: VIRTUAL_AUTHENTICATOR_AAGUID,
        public_key_credential_label: 'Erin passkey',
      });
      const passwordSignIn = await signInEvent(passwordSession);
      expect(passwordSignIn.auth).toEqual({ method: 'password' });
      expect(
        await alertOf((a) => a.kind === 'new_login' && a.idp?.session_id === passwordSession, erinId),
      ).toMatchObject({ auth_method: 'password' });
      // Only the passkey's session may remain: the registration's own ends here, and its cookies go.
      await admin(`/${realm}/users/${erinId}/logout`, { method: 'POST' });
      await context.clearCookies();
      await authenticator.cdp.send('Network.setUserAgentOverride', { userAgent: CHROME });

      const authUrl = (extra = '') =>
        `${browserUrl(kc.url)}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({
          client_id: 'web',
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: 'openid',
        })}${extra}`;
      const signedIn = new URL(await signInWithPasskey(page, authUrl(), redirectUri));
      expect(signedIn.searchParams.get('code')).toBeTruthy();
      // The browser's own session, as Keycloak names it in the redirect: the one to report and end.
      const session = signedIn.searchParams.get('session_state') ?? undefined;
      expect(await sessionsOf()).toContain(session);

      const alert = await alertOf(
        (a) => a.kind === 'new_login' && a.idp?.session_id === session && a.auth_method === 'passkey',
        erinId,
      );
      // A sign-in event names no AAGUID (Keycloak's LOGIN event has none), so no authenticator either.
      expect(alert.authenticator).toBeUndefined();
      const passkeyLogin = await keycloakLogin(session);
      expect(passkeyLogin).toMatchObject({ credential_type: 'webauthn-passwordless' });
      expect(passkeyLogin).toHaveProperty('web_authn_authenticator_user_verification_checked');
      expect(passkeyLogin).not.toHaveProperty('public_key_credential_aaguid');
      expect(passkeyLogin).not.toHaveProperty('public_key_credential_label');
      expect((await signInEvent(session)).auth).toMatchObject({
        method: 'passkey',
        credential_id: expect.any(String),
      });
      const email = await until(
        'the alert email in the outbox',
        async () =>
          (
            await outboxLines<{ alert_id: string; html: string; text: string }>(t2.config.outboxDir ?? '')
          ).find((e) => e.alert_id === alert.alert_id),
        60_000,
      );
      expect(email.text).toMatch(/Signed in with: passkey/);

      const mail = await context.newPage();
      await mail.setContent(email.html);
      await Promise.all([mail.waitForURL(/\/r\//), mail.click("text=This wasn't me")]);
      expect(await mail.textContent('body')).toContain("You're reporting this sign-in:");
      expect(await mail.textContent('table.facts')).toContain('DeviceChrome 131 on Linux');
      await mail.screenshot({ path: await artifactPath('containment-confirm.png'), fullPage: true });
      const clicked = Date.now();
      await mail.click('button[value="session"]');
      await until(
        'the Keycloak session to end',
        async () => !(await sessionsOf()).includes(session!),
        30_000,
      );
      const goneMs = Date.now() - clicked;
      console.log(`[containment-browser] confirm click → Keycloak session gone: ${goneMs} ms`);
      expect(await mail.textContent('body')).toContain("We're signing out Chrome 131 on Linux now");
      expect(await responseTo(alert.alert_id, 'session_revoked')).toMatchObject({ status: 'done' });

      // The same browser: a silent authorization request now needs a sign-in, and so does the account console.
      // Keycloak's session store may answer the admin API before every node of its cache forgot the session:
      // the browser is asked until it is refused (each answer kept, so a failure shows what it got).
      const answers: string[] = [];
      await until(
        'prompt=none refused with login_required',
        async () => {
          await page.goto(authUrl('&prompt=none'));
          const url = new URL(page.url());
          // A code names its session (session_state): whether it is the reported one tells what went wrong.
          const state = url.searchParams.get('session_state');
          const which = state === session ? 'the reported session' : `session ${state}`;
          answers.push(
            url.searchParams.has('code') ? `code of ${which}` : (url.searchParams.get('error') ?? page.url()),
          );
          return url.searchParams.get('error') === 'login_required';
        },
        15_000,
      ).catch(async (err: Error) => {
        const listed = await sessionsOf();
        throw new Error(
          `${err.message}; the browser got: ${answers.slice(-5).join(' | ')}; Keycloak lists ${listed.length} session(s) of the user${listed.includes(session!) ? ', the reported one among them' : ''}`,
        );
      });
      console.log(
        `[containment-browser] confirm click → this browser's prompt=none refused: ${Date.now() - clicked} ms (${answers.length} asked)`,
      );
      await page.goto(`${browserUrl(kc.url)}/realms/${realm}/account`);
      await page.waitForSelector('#username');
    } finally {
      await browser.close();
      callback.close();
    }
  }, 180_000);
});
