/**
 * The Keycloak provider against a real Keycloak: realm, client and user made through the admin REST API,
 * password grants (one right, several wrong), AuthEvents on the pipeline's auth.events topic, and the
 * product's own pipeline alerting the enrolled user by email.
 */
import { AuthEventSchema } from '../../src/contracts/auth-event.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { DeliveryReceipt } from '../../src/contracts/records.js';
import { receiptsOf, until } from '../support/delivery-kit.js';
import { kafkaBrokers, uniqueName } from '../support/env.js';
import { profile } from '../support/events.js';
import { type RunningKeycloak, startKeycloak } from '../support/keycloak.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';

/** Keycloak's first start here builds its runtime (1–3 minutes on a busy two-core machine). */
const KEYCLOAK_START_MS = 240_000;

let kc: RunningKeycloak;
let t: TestPipeline;
let events: Watch;
let alerts: Watch;
let receipts: Watch;
const realm = uniqueName('realm').replace(/[^a-z0-9-]/gi, '-');
const product = 'keycloak-demo';

async function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const token = await fetch(`${kc.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: 'admin',
      password: 'admin',
    }),
  }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
  const res = await fetch(`${kc.url}/admin/realms${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

const grant = (password: string) =>
  fetch(`${kc.url}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'user-agent':
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'app', username: 'alice', password }),
  });

let userId: string;

beforeAll(async () => {
  t = await startTestPipeline('memory');
  events = await t.watch('authEvents');
  alerts = await t.watch('loginAlerts');
  receipts = await t.watch('deliveries');
  kc = await startKeycloak(
    {
      LOGIN_ALERTS_KAFKA_BROKERS: kafkaBrokers().join(','),
      LOGIN_ALERTS_TOPIC: t.config.topics.authEvents,
      LOGIN_ALERTS_PRODUCT: product,
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
  });
  await admin(`/${realm}/users`, {
    body: {
      username: 'alice',
      enabled: true,
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Doe',
      credentials: [{ type: 'password', value: 's3cret-pass', temporary: false }],
    },
  });
  const [user] = (await (await admin(`/${realm}/users?username=alice&exact=true`)).json()) as {
    id: string;
  }[];
  userId = user?.id ?? '';
  await t.publish('accountSecurity', [
    { key: userId, value: profile(userId, { contacts: { email: 'alice@example.com' } }) },
  ]);
  await t.profileApplied(userId);
}, KEYCLOAK_START_MS + 60_000);

afterAll(async () => {
  console.log(`Keycloak RSS at the end: ${Math.round((kc?.rssKb() ?? 0) / 1024)} MB`);
  await kc?.stop();
  await t?.stop();
}, 60_000);

const alertsOf = (kind: string) =>
  alerts.values.map((v) => v.value as LoginAlert).filter((a) => a.account_id === userId && a.kind === kind);

describe('the login-alerts Keycloak provider', () => {
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
