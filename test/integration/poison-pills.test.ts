/**
 * Poison pills on the real broker: records that can never be processed end in the DLQ (bounded, naming
 * their source offset) and the next record of the same partition is processed; a DLQ the broker
 * refuses is logged and counted, and the partition still goes on.
 */

import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { DeliveryJob } from '../../src/contracts/notification.js';
import type { DeliveryReceipt, DlqRecord } from '../../src/contracts/records.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { silentLogger } from '../../src/observe/logger.js';
import { alertId } from '../../src/pipeline/alerts.js';
import { type RunningPipeline, startPipeline } from '../../src/runtime/pipeline.js';
import { keys } from '../../src/state/keys.js';
import { createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { startTestPipeline, type TestPipeline, testEnv, type Watch } from '../support/pipeline-harness.js';

const kafka = new Kafka({ clientId: 'poison-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
let raw: Producer;

beforeAll(async () => {
  raw = kafka.producer({ allowAutoTopicCreation: false });
  await raw.connect();
});
afterAll(async () => {
  await raw.disconnect();
});

/** Produces one raw value with a plain kafkajs producer; returns its partition and offset. */
async function produceRaw(topic: string, key: string, value: string | Buffer, partition?: number) {
  const [meta] = await raw.send({ topic, acks: -1, messages: [{ key, value, partition }] });
  return { partition: meta!.partition, offset: meta!.baseOffset! };
}

const dlqOf = (w: Watch, key: string) =>
  w.values.filter((v) => v.key === key).map((v) => v.value as DlqRecord);

describe('poison pills with the pipeline running', () => {
  let t: TestPipeline;
  let dlq: Watch;
  let alerts: Watch;
  let receipts: Watch;
  beforeAll(async () => {
    t = await startTestPipeline('memory');
    [dlq, alerts, receipts] = await Promise.all([
      t.watch('dlq'),
      t.watch('loginAlerts'),
      t.watch('deliveries'),
    ]);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('dead-letters a 900 KB sign-in (a bounded copy naming its offset) and alerts the next sign-in of the account', async () => {
    const account = uniqueName('acct');
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account);
    const huge = JSON.stringify(
      signIn(account, { client: { ip: '81.2.69.160', user_agent: 'A'.repeat(900_000) } }),
    );
    const at = await produceRaw(t.config.topics.authEvents, account, huge);
    const next = signIn(account);
    await t.publish('authEvents', [{ key: account, value: next }]);

    const [dead] = await dlq.waitFor(1, account, 30_000);
    const record = dead!.value as DlqRecord;
    expect(record.source).toEqual({ topic: t.config.topics.authEvents, ...at });
    expect(record.error.code).toBe('RECORD_TOO_LARGE');
    expect(record).toMatchObject({ value_bytes: Buffer.byteLength(huge), value_truncated: true });
    expect(record.value_sha256).toBe(createHash('sha256').update(huge).digest('hex'));
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(100_000);
    expect(Buffer.from(record.value!, 'base64').toString()).toBe(huge.slice(0, 64 * 1024));

    const [alert] = await alerts.waitFor(1, account, 30_000);
    expect((alert!.value as { session_id: string }).session_id).toBe(next.session_id);
  }, 60_000);

  it('dead-letters a 900 KB profile and applies the next profile on its partition', async () => {
    const account = uniqueName('acct');
    const huge = JSON.stringify({ ...profile(account), pad: 'p'.repeat(900_000) });
    const at = await produceRaw(t.config.topics.accountSecurity, account, huge);
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account, 30_000);
    const [dead] = await dlq.waitFor(1, account, 30_000);
    const record = dead!.value as DlqRecord;
    expect(record.source).toEqual({ topic: t.config.topics.accountSecurity, ...at });
    expect(record.error.code).toBe('RECORD_TOO_LARGE');
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(100_000);
  }, 60_000);

  it('dead-letters malformed notification and retry records, and delivers the next ones on their partitions', async () => {
    const account = uniqueName('acct');
    await t.publish('accountSecurity', [{ key: account, value: profile(account) }]);
    await t.profileApplied(account);
    // Once read as a job with no request by a retry consumer that then threw for ever.
    const badJob = JSON.stringify({ channel: 'email', due_at: '2020-01-01T00:00:00Z' });
    const badAt = await produceRaw(t.config.topics.retry, account, badJob, 0);
    const badRequest = JSON.stringify({ id: 7, channels: ['email'], account_id: account });
    await produceRaw(t.config.topics.notifications, account, badRequest);
    const at = new Date().toISOString();
    const job: DeliveryJob = {
      request: {
        id: uniqueName('al'),
        account_id: account,
        kind: 'enrolled',
        channels: ['email'],
        occurred_at: at,
        requested_at: at,
      },
      channel: 'email',
      recipient: `${account}@example.com`,
      attempt: 2,
      due_at: at,
    };
    await produceRaw(t.config.topics.retry, account, JSON.stringify(job), 0);
    const next = signIn(account);
    await t.publish('authEvents', [{ key: account, value: next }]);

    const sent = (id: string) => (r: { value: unknown }) => {
      const v = r.value as DeliveryReceipt;
      return v.alert_id === id && v.status === 'sent' && v.channel === 'email';
    };
    const deadline = Date.now() + 30_000;
    const newLogin = alertId('new_login', account, next.session_id!);
    while (Date.now() < deadline) {
      if (receipts.values.some(sent(job.request.id)) && receipts.values.some(sent(newLogin))) break;
      await sleep(100);
    }
    expect(receipts.values.some(sent(job.request.id))).toBe(true);
    expect(receipts.values.some(sent(newLogin))).toBe(true);
    await dlq.waitFor(2, account, 30_000);
    const records = dlqOf(dlq, account);
    expect(records.map((r) => [r.source.topic, r.error.code]).sort()).toEqual(
      [
        [t.config.topics.notifications, 'INVALID_EVENT'],
        [t.config.topics.retry, 'INVALID_EVENT'],
      ].sort(),
    );
    expect(records.find((r) => r.source.topic === t.config.topics.retry)?.source).toMatchObject(badAt);
  }, 60_000);
});

describe('a DLQ the broker refuses', () => {
  let pipeline: RunningPipeline | undefined;
  const lines: Record<string, unknown>[] = [];
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('logs DLQ_WRITE_FAILED with the coordinates, counts it, and the partition goes on', async () => {
    const config = loadConfig(testEnv('memory'));
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Every dead-letter record is larger than this: the broker refuses each one (MESSAGE_TOO_LARGE).
      await createTopicsAndWait(admin, [
        {
          topic: config.topics.dlq,
          numPartitions: 1,
          configEntries: [{ name: 'max.message.bytes', value: '200' }],
        },
      ]);
    } finally {
      await admin.disconnect();
    }
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    pipeline = await startPipeline(config, pino({ level: 'error' }, sink), { onProgress: () => {} });
    const publish = (topic: string, key: string, value: unknown) =>
      pipeline!.services.publisher.publish([{ topic, key, value }]);
    const account = uniqueName('acct');
    await publish(config.topics.accountSecurity, account, profile(account));
    const bad = await produceRaw(config.topics.authEvents, account, '{"event_id": "x", oops');
    const next = signIn(account);
    await publish(config.topics.authEvents, account, next);

    const alertsFor = async () => {
      const outbox = `${config.outboxDir}/email.jsonl`;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(outbox, 'utf8').catch(() => '');
      return text.includes(alertId('new_login', account, next.session_id!));
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(await alertsFor())) await sleep(100);
    expect(await alertsFor()).toBe(true);

    const failed = lines.filter((l) => l.code === 'DLQ_WRITE_FAILED');
    expect(failed).toEqual([
      expect.objectContaining({
        topic: config.topics.authEvents,
        partition: bad.partition,
        offset: bad.offset,
        reason: 'INVALID_JSON',
        refused: 'KAFKA_RECORD_REJECTED',
      }),
    ]);
    const metric = await pipeline.services.metrics.registry.getSingleMetricAsString(
      'login_alerts_dlq_write_failures_total',
    );
    expect(metric).toContain(`login_alerts_dlq_write_failures_total{topic="${config.topics.authEvents}"} 1`);
  }, 90_000);
});

describe('a poison profile already in account.security at start', () => {
  let pipeline: RunningPipeline | undefined;
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('is dead-lettered during the start-up catch-up, which completes and applies the profile behind it', async () => {
    const config = loadConfig(testEnv('memory'));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, config.topics);
      const account = uniqueName('acct');
      const huge = JSON.stringify({ ...profile(account), pad: 'p'.repeat(900_000) });
      const bad = await produceRaw(config.topics.accountSecurity, account, huge);
      await produceRaw(config.topics.accountSecurity, account, JSON.stringify(profile(account)));
      // Resolves only once the profile view has caught up with the topic as it was at start.
      pipeline = await startPipeline(config, silentLogger(), {
        only: ['account-security'],
        onProgress: () => {},
      });
      const [stored] = await pipeline.services.store.read([keys.profile(account)]);
      expect(JSON.parse(stored!).account_id).toBe(account);
      const ends = await admin.fetchTopicOffsets(config.topics.dlq);
      expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
      expect(bad.offset).toBe('0');
    } finally {
      await admin.disconnect();
    }
  }, 90_000);
});
