/**
 * Bad input at volume: 10,000 malformed records of many kinds mixed into valid sign-ins. Every malformed
 * record reaches the DLQ with a reason naming what is wrong, every valid one is alerted exactly once, and
 * the consumer is never restarted.
 */
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { DlqRecord } from '../../src/contracts/records.js';
import { countingProducer, uniqueName } from '../support/env.js';
import { signIn } from '../support/events.js';
import { testEnv } from '../support/pipeline-harness.js';
import {
  cleanOutbox,
  createTopics,
  enroll,
  kafkaFor,
  killAllChildren,
  lagOf,
  type PipelineProc,
  plan,
  produce,
  type ReceiptWatch,
  scaled,
  settle,
  signInRecord,
  spawnPipeline,
  trace,
  waitUntil,
  watchReceipts,
} from '../support/reliability.js';

const BAD = 10_000;
const VALID = scaled(1_000, 5_000);
const ACCOUNTS = scaled(200, 1_000);

/** One malformed record per kind, and what its DLQ entry must say. */
const KINDS: { name: string; code: string; mentions: string; value: (i: number) => string }[] = [
  {
    name: 'not JSON',
    code: 'INVALID_JSON',
    mentions: 'not valid JSON',
    value: (i) => `{"event_id": "bad-${i}", oops`,
  },
  {
    name: 'wrong types',
    code: 'INVALID_EVENT',
    mentions: 'account_id',
    value: (i) => JSON.stringify({ ...signIn('x'), account_id: i, schema_version: '1' }),
  },
  {
    name: 'huge user agent',
    code: 'INVALID_EVENT',
    mentions: 'client.user_agent',
    value: () =>
      JSON.stringify(
        signIn('x', { client: { ip: '81.2.69.160', user_agent: 'Mozilla/5.0 '.repeat(1_000) } }),
      ),
  },
  {
    name: 'invalid IP',
    code: 'INVALID_EVENT',
    mentions: 'client.ip',
    value: (i) => JSON.stringify(signIn('x', { client: { ip: `999.${i % 256}.1.1` } })),
  },
  {
    name: 'unknown type',
    code: 'INVALID_EVENT',
    mentions: 'type',
    value: () => JSON.stringify({ ...signIn('x'), type: 'login.teleported' }),
  },
  {
    name: 'future timestamp',
    code: 'EVENT_IN_FUTURE',
    mentions: 'occurred_at',
    value: () => JSON.stringify(signIn('x', { occurred_at: new Date(Date.now() + 3_600_000).toISOString() })),
  },
  {
    name: 'too large',
    code: 'RECORD_TOO_LARGE',
    mentions: 'limit',
    value: () => JSON.stringify({ pad: 'x'.repeat(20_000) }),
  },
  { name: 'empty', code: 'EMPTY_RECORD', mentions: 'no value', value: () => '' },
];

let env: Record<string, string>;
let admin: Admin;
let producer: Producer;
let dlq: Consumer;
let proc: PipelineProc | undefined;
let receipts: ReceiptWatch | undefined;

afterAll(async () => {
  await proc?.stop();
  await killAllChildren();
  await Promise.allSettled([
    admin?.disconnect(),
    producer?.disconnect(),
    dlq?.disconnect(),
    receipts?.stop(),
  ]);
  cleanOutbox(env);
});

it(`dead-letters ${BAD} malformed records with their reasons and alerts each of ${VALID} valid sign-ins once`, async () => {
  env = testEnv('redis');
  const kafka = kafkaFor(env);
  admin = kafka.admin();
  producer = countingProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  await createTopics(admin, env);
  receipts = await watchReceipts(kafka, env);
  proc = await spawnPipeline('bad-input', env);
  const { accounts, sessions } = plan(ACCOUNTS, VALID / ACCOUNTS);
  await enroll(producer, env, accounts, env.REDIS_URL!, [proc]);

  const seen = new Map<string, DlqRecord>();
  dlq = kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 100 });
  await dlq.connect();
  await dlq.subscribe({ topic: env.TOPIC_DLQ!, fromBeginning: true });
  await dlq.run({
    eachMessage: async ({ message }) => {
      seen.set(message.key?.toString() ?? '', JSON.parse(message.value!.toString()) as DlqRecord);
    },
  });

  // Bad records keyed bad-<i>, spread over the partitions and interleaved with the valid sign-ins.
  const bad = Array.from({ length: BAD }, (_, i) => ({
    key: `bad-${i}`,
    value: KINDS[i % KINDS.length]!.value(i),
  }));
  const valid = sessions.map(signInRecord);
  const mixed: { key: string; value: string }[] = [];
  const every = Math.ceil(BAD / valid.length);
  for (let i = 0, v = 0; i < bad.length || v < valid.length; i++) {
    if (i < bad.length) mixed.push(bad[i]!);
    if ((i % every === 0 || i >= bad.length) && v < valid.length) mixed.push(valid[v++]!);
  }
  await produce(producer, env.TOPIC_AUTH_EVENTS!, mixed);
  trace('bad input: produced');

  await waitUntil(
    'every malformed record in the DLQ',
    () => seen.size >= BAD,
    120_000,
    async () =>
      `${seen.size} of ${BAD}; pipeline ${JSON.stringify(await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!))}; dlq end ${JSON.stringify(await admin.fetchTopicOffsets(env.TOPIC_DLQ!))}\n${proc?.output().slice(-3000)}`,
  );
  const verdict = await settle(admin, env, sessions, receipts, 120_000);
  trace(`bad input: settled ${JSON.stringify(verdict)}`);

  const wrong: string[] = [];
  for (let i = 0; i < BAD; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const record = seen.get(`bad-${i}`);
    const ok =
      record?.error.code === kind.code &&
      record.error.message.includes(kind.mentions) &&
      record.source.topic === env.TOPIC_AUTH_EVENTS &&
      Buffer.from(record.value ?? '', 'base64').toString() === bad[i]!.value;
    if (!ok && wrong.length < 5) wrong.push(`${kind.name}: ${JSON.stringify(record?.error)}`);
  }
  expect(wrong).toEqual([]);
  expect(seen.size).toBe(BAD);
  expect(verdict.outbox).toMatchObject({
    missing: 0,
    duplicated: 0,
    unexpected: 0,
    distinct: VALID,
    corrupt: 0,
  });
  expect(verdict.receipts).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, distinct: VALID });
  expect(await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!)).toEqual({
    lag: 0,
    committed: BAD + VALID,
    end: BAD + VALID,
  });
  expect(proc.alive()).toBe(true);
  expect(proc.output()).not.toMatch(/Restarting the consumer|Crash/);
}, 180_000);
