/**
 * A respond consumer on the real broker waiting out an IdP's Retry-After longer than its group's session
 * timeout: the loop's heartbeat runs through the wait, so the member keeps its partition (one join, no
 * rebalance) and the action is done and recorded once. The IdP is the Okta-shaped local server.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { ResponseRecord } from '../../src/contracts/records.js';
import { runConsumerLoop } from '../../src/kafka/consumer-loop.js';
import type { OutRecord } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/observe/logger.js';
import { buildReportedAlert } from '../../src/pipeline/alerts.js';
import { createRespondHandler } from '../../src/respond/respond.js';
import { createOktaResponder } from '../../src/responders/okta.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { until } from '../support/delivery-kit.js';
import { countingProducer, createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';
import { type IdpMock, startOktaMock } from '../support/idp-admin-mocks.js';

/** The broker's smallest session timeout (group.min.session.timeout.ms), and a Retry-After well beyond it. */
const SESSION_TIMEOUT_MS = 6_000;
const RETRY_AFTER_S = 10;
const TOKEN = '00okta-heartbeat-token';

const kafka = new Kafka({
  clientId: 'respond-heartbeat',
  brokers: kafkaBrokers(),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const producer = countingProducer(kafka);
const users = new Set<string>();
let okta: IdpMock;

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()]);
  okta = await startOktaMock({ apiToken: TOKEN, users, rateLimitResetS: RETRY_AFTER_S });
});
afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect(), okta?.stop()]);
});

it(`keeps its partition through a ${RETRY_AFTER_S} s Retry-After with a ${SESSION_TIMEOUT_MS / 1000} s session timeout, and acts once`, async () => {
  const topic = uniqueName('respond-hb');
  const groupId = uniqueName('respond-hb-group');
  await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
  const account = uniqueName('acct');
  const user = `00u${account.replace(/[^a-z0-9]/gi, '')}`;
  users.add(user);
  const store = createMemoryStore();
  await store.write([{ op: 'set', key: keys.profile(account), value: '{}', ttlMs: 600_000 }]);
  const published: OutRecord[] = [];
  const handler = createRespondHandler({
    store,
    publisher: { publish: async (records) => void published.push(...records), close: async () => {} },
    responders: { okta: createOktaResponder({ orgUrl: okta.url, apiToken: TOKEN }) },
    topics: { responses: 'responses', notifications: 'notifications' },
    log: silentLogger(),
    targetTtlMs: 600_000,
    retry: { attempts: 3, firstMs: 100, maxMs: 200, maxRetryAfterS: 60 },
  });
  const loop = await runConsumerLoop({
    kafka,
    groupId,
    topics: [topic],
    log: silentLogger(),
    handler,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  });
  let joins = 0;
  loop.consumer.on(loop.consumer.events.GROUP_JOIN, () => joins++);
  const member = async () => {
    const [group] = (await admin.describeGroups([groupId])).groups;
    return group?.state === 'Stable' && group.members.length === 1 ? group.members[0]?.memberId : undefined;
  };
  try {
    const joined = await until('the member to join', member, 30_000);
    const joinsBefore = joins;
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
    okta.failNext([429]);
    const sent = Date.now();
    await producer.send({
      topic,
      messages: [alert, buildReportedAlert(account, alert.alert_id, Date.now(), 'everywhere')].map((a) => ({
        key: account,
        value: JSON.stringify(a),
      })),
    });
    const record = await until(
      'the response record',
      () => published.find((r) => r.topic === 'responses')?.value as ResponseRecord | undefined,
      60_000,
    );
    console.log(`[respond-heartbeat] 429 with a ${RETRY_AFTER_S} s reset → done in ${Date.now() - sent} ms`);
    expect(record).toMatchObject({ action: 'all_sessions_revoked', status: 'done' });
    const calls = okta.seen.filter((s) => s.url.startsWith(`/api/v1/users/${user}/sessions`));
    expect(calls).toHaveLength(2); // the 429, then the one that acted
    // The same member, never rejoined: the wait did not cost it the partition (an expired session would
    // have been removed from the group, and its rejoin given a new member id).
    expect(await member()).toBe(joined);
    expect(joins).toBe(joinsBefore);
    expect(published.filter((r) => r.topic === 'responses')).toHaveLength(1);
  } finally {
    await loop.stop();
  }
}, 90_000);
