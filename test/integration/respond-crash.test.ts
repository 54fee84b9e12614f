/**
 * A responder that dies mid-action, on the real Redis store: between its claim and the IdP call (the claim
 * is left behind), and between the call and its record (the IdP acted, nothing was published). The next
 * responder waits out the lease, then acts; the action happens, its record exists, and nothing recorded is
 * done again. The IdP is a local Okta-shaped server (test/support/idp-admin-mocks.ts).
 */
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { ResponseRecord } from '../../src/contracts/records.js';
import { AppError } from '../../src/errors.js';
import type { OutRecord, Publisher } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/observe/logger.js';
import { buildReportedAlert } from '../../src/pipeline/alerts.js';
import { createRespondHandler } from '../../src/respond/respond.js';
import { createOktaResponder } from '../../src/responders/okta.js';
import { keys } from '../../src/state/keys.js';
import { createRedisStore } from '../../src/state/redis.js';
import type { Store } from '../../src/state/store.js';
import { redisUrl, uniqueName } from '../support/env.js';
import { type IdpMock, startOktaMock } from '../support/idp-admin-mocks.js';

const TOKEN = '00okta-crash-token';
const LEASE_MS = 1_500;
let store: Store;
let okta: IdpMock;
const users = new Set<string>();

beforeAll(async () => {
  store = createRedisStore(redisUrl());
  okta = await startOktaMock({ apiToken: TOKEN, users });
});
afterAll(async () => {
  await store?.close();
  await okta?.stop();
});

/** A responder process: its handler over the shared store; `publish` may be made to fail (the crash). */
function responder(published: OutRecord[], publish?: () => Promise<void>) {
  const publisher: Publisher = {
    publish: async (records) => {
      await publish?.();
      published.push(...records.filter((r) => r.topic === 'responses'));
    },
    close: async () => {},
  };
  return createRespondHandler({
    store,
    publisher,
    responders: { okta: createOktaResponder({ orgUrl: okta.url, apiToken: TOKEN }) },
    topics: { responses: 'responses', notifications: 'notifications' },
    log: silentLogger(),
    targetTtlMs: 60_000,
    leaseMs: LEASE_MS,
    retry: { attempts: 2, firstMs: 10, maxMs: 20, maxRetryAfterS: 1 },
  });
}

async function scenario() {
  const account = uniqueName('crash');
  const user = `00u${account.replace(/[^a-z0-9]/g, '')}`;
  users.add(user);
  await store.write([{ op: 'set', key: keys.profile(account), value: '{}', ttlMs: 60_000 }]);
  const alert: LoginAlert = {
    alert_id: `al_${account}`,
    event_id: 'e',
    account_id: account,
    kind: 'new_login',
    severity: 'warning',
    reasons: ['new_device'],
    occurred_at: new Date().toISOString(),
    detected_at: new Date().toISOString(),
    product: 'okta',
    channels: ['email'],
    enrolled: true,
    stale: false,
    idp: { provider: 'okta', user_id: user, session_id: 'sess-1' },
  };
  const chunk = [alert, buildReportedAlert(account, alert.alert_id, Date.now(), 'everywhere')].map(
    (a, i) => ({
      topic: 'alerts',
      partition: 0,
      message: { value: Buffer.from(JSON.stringify(a)), offset: String(i) } as never,
    }),
  );
  const calls = () => okta.seen.filter((s) => s.url.startsWith(`/api/v1/users/${user}/sessions`)).length;
  return { account, alert, chunk, calls };
}

/** What the consumer loop does with a chunk: retry it while it fails retryably. */
async function runUntilDone(handler: ReturnType<typeof responder>, chunk: Parameters<typeof handler>[0]) {
  for (let i = 0; i < 50; i++) {
    try {
      await handler(chunk);
      return i;
    } catch (err) {
      if (!(err instanceof AppError && err.retryable)) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('never done');
}

it('killed between the claim and the call: the next responder waits out the lease, then acts once and records', async () => {
  const { account, alert, chunk, calls } = await scenario();
  // The first responder claimed and died: its claim is all that is left.
  await store.claim([
    {
      key: keys.response(account, alert.alert_id, 'all_sessions_revoked'),
      value: 'claimed',
      ttlMs: LEASE_MS,
    },
  ]);
  const published: OutRecord[] = [];
  const retries = await runUntilDone(responder(published), chunk);
  expect(retries).toBeGreaterThan(0); // it waited for the lease
  expect(calls()).toBe(1);
  expect(published.map((r) => (r.value as ResponseRecord).status)).toEqual(['done']);
});

it('killed between the call and its record: the call is repeated after the lease (idempotent), the record exists once, then never again', async () => {
  const { alert, chunk, calls } = await scenario();
  const lost: OutRecord[] = [];
  await expect(
    responder(lost, async () => {
      throw new AppError('KAFKA_UNAVAILABLE', 'the process died before its record', { retryable: true });
    })(chunk),
  ).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
  expect(calls()).toBe(1);
  expect(lost).toHaveLength(0);

  const published: OutRecord[] = [];
  const next = responder(published);
  await runUntilDone(next, chunk);
  expect(calls()).toBe(2);
  expect(published.map((r) => r.value as ResponseRecord)).toEqual([
    expect.objectContaining({ alert_id: alert.alert_id, action: 'all_sessions_revoked', status: 'done' }),
  ]);
  // Recorded: a replay of the same chunk does nothing more.
  await next(chunk);
  expect(calls()).toBe(2);
  expect(published).toHaveLength(1);
});
