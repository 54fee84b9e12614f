/**
 * A respond process killed mid-action: `login-alerts run --only respond` (the built dist/, a child process) on
 * the real broker and Redis, against the Okta-shaped local server, SIGKILLed while two actions of one chunk are
 * in flight: one held by the IdP before it acted (claimed, not done) and one after it acted but before it
 * answered (done, not recorded). A restarted process takes both over once their claims' lease
 * (RESPOND_LEASE) has lapsed: the first is done once, the second again (ending sessions is idempotent), and
 * each has exactly one record on login-alerts.responses.
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { ResponseRecord } from '../../src/contracts/records.js';
import { buildReportedAlert } from '../../src/pipeline/alerts.js';
import { keys } from '../../src/state/keys.js';
import { createRedisStore } from '../../src/state/redis.js';
import type { Store } from '../../src/state/store.js';
import { uniqueName } from '../support/env.js';
import { type OktaMock, startOktaMock } from '../support/idp-admin-mocks.js';
import { testEnv } from '../support/pipeline-harness.js';
import { createTopics, kafkaFor, lagOf, spawnPipeline, trace, waitUntil } from '../support/reliability.js';

const TOKEN = '00okta-crash-token-0123';
const users = new Set<string>();
let okta: OktaMock;
let env: Record<string, string>;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let store: Store;

beforeAll(async () => {
  okta = await startOktaMock({ apiToken: TOKEN, users });
  env = testEnv('redis', {
    RESPOND_OKTA_ORG_URL: okta.url,
    RESPOND_OKTA_API_TOKEN: TOKEN,
    RESPOND_LEASE: '3s',
    // The restarted process joins once the killed member's session lapses.
    KAFKA_SESSION_TIMEOUT: '10s',
  });
  kafka = kafkaFor(env);
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  await createTopics(admin, env);
  store = createRedisStore(env.REDIS_URL!);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([admin?.disconnect(), producer?.disconnect(), store?.close(), okta?.stop()]);
});

/** An Okta-sourced sign-in alert on an account with a profile, and its confirmed "sign out everywhere". */
async function reportedSignIn(): Promise<{ alert: LoginAlert; user: string; records: LoginAlert[] }> {
  const account = uniqueName('crash');
  const user = `00u${account.replace(/[^a-z0-9]/gi, '')}`;
  users.add(user);
  await store.write([{ op: 'set', key: keys.profile(account), value: '{}', ttlMs: 600_000 }]);
  const now = new Date().toISOString();
  const alert: LoginAlert = {
    ...{ alert_id: `al_${account}`, event_id: `e-${account}`, account_id: account, kind: 'new_login' },
    ...{ severity: 'warning', reasons: ['new_device'], occurred_at: now, detected_at: now, product: 'okta' },
    ...{ channels: ['email'], enrolled: true, stale: false },
    idp: { provider: 'okta', user_id: user, session_id: `sess-${account}` },
  };
  return {
    alert,
    user,
    records: [alert, buildReportedAlert(account, alert.alert_id, Date.now(), 'everywhere')],
  };
}

/** Every record on login-alerts.responses, read from the beginning. */
async function readResponses(): Promise<{ records: ResponseRecord[]; stop: () => Promise<void> }> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('responses-reader'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: env.TOPIC_RESPONSES!, fromBeginning: true });
  const records: ResponseRecord[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => void records.push(JSON.parse(message.value?.toString() ?? 'null')),
  });
  return { records, stop: () => consumer.disconnect() };
}

it('SIGKILLed with one action claimed but not done and one done but not recorded: a restart does each, one record each', async () => {
  const held = await reportedSignIn();
  const acted = await reportedSignIn();
  const first = await spawnPipeline('respond-1', env, 60_000, ['--only', 'respond']);
  const responses = await readResponses();
  try {
    const heldBefore = okta.hold(held.user, 'before');
    const heldAfter = okta.hold(acted.user, 'after');
    // One key, one send: the four records share a partition and a fetch, so both actions are in flight together.
    await producer.send({
      topic: env.TOPIC_LOGIN_ALERTS!,
      messages: [...held.records, ...acted.records].map((r) => ({ key: 'crash', value: JSON.stringify(r) })),
    });
    await Promise.all([heldBefore, heldAfter]);
    expect(okta.acted).toEqual([acted.user]);
    await first.kill();
    trace('respond-crash: killed with both actions in flight');

    const restarted = Date.now();
    const second = await spawnPipeline('respond-2', env, 60_000, ['--only', 'respond']);
    try {
      const group = `${env.KAFKA_GROUP_ID}.respond`;
      await waitUntil(
        'the restarted respond consumer to commit the chunk',
        async () => (await lagOf(admin, group, env.TOPIC_LOGIN_ALERTS!)).lag === 0,
        90_000,
      );
      console.log(
        `[respond-crash] restart → both actions recorded and committed: ${Date.now() - restarted} ms`,
      );
      // Recorded before committed: every record the chunk produced is on the topic now.
      await waitUntil('the responses reader', async () => responses.records.length >= 2, 10_000);
      expect(okta.acted.filter((u) => u === held.user)).toHaveLength(1);
      expect(okta.acted.filter((u) => u === acted.user)).toHaveLength(2);
      for (const { alert } of [held, acted])
        expect(responses.records.filter((r) => r.alert_id === alert.alert_id)).toEqual([
          expect.objectContaining({ action: 'all_sessions_revoked', idp: 'okta', status: 'done' }),
        ]);
      expect(second.alive()).toBe(true);
    } finally {
      await second.stop();
    }
  } finally {
    await first.kill();
    await responses.stop();
  }
}, 180_000);
