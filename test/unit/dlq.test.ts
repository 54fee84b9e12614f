/** Dead-letter records always fit, and a refused output or dead-letter never stops the chunk. */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { DlqRecordSchema } from '../../src/contracts/records.js';
import { AppError } from '../../src/errors.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import { createDeadLetters, DLQ_LIMITS, Outputs, toDlqRecord } from '../../src/kafka/dlq.js';
import { type OutRecord, type Publisher, RecordsRefusedError } from '../../src/kafka/publisher.js';
import { createMetrics } from '../../src/observe/metrics.js';

const message = (over: Partial<KafkaMessage>): KafkaMessage =>
  ({
    key: Buffer.from('acct-1'),
    value: null,
    headers: {},
    offset: '42',
    timestamp: '0',
    attributes: 0,
    ...over,
  }) as KafkaMessage;
const inRecord = (over: Partial<KafkaMessage>): InRecord => ({
  topic: 'auth.events',
  partition: 3,
  message: message(over),
});

describe('toDlqRecord', () => {
  it('keeps a bounded prefix of a 900 KB value with its full length and SHA-256, under 100 KB in all', () => {
    const value = Buffer.from('é'.repeat(450_000));
    const record = toDlqRecord(
      { topic: 'auth.events', partition: 3 },
      message({ value }),
      { code: 'RECORD_TOO_LARGE', message: 'big' },
      0,
    );
    expect(DlqRecordSchema.safeParse(record).success).toBe(true);
    expect(record).toMatchObject({ value_bytes: value.length, value_truncated: true, key_truncated: false });
    expect(record.value_sha256).toBe(createHash('sha256').update(value).digest('hex'));
    expect(Buffer.from(record.value!, 'base64')).toEqual(value.subarray(0, DLQ_LIMITS.valueBytes));
    expect(record.source).toEqual({ topic: 'auth.events', partition: 3, offset: '42' });
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(100_000);
  });

  it('bounds the key, the headers and the error message too', () => {
    const headers: Record<string, Buffer> = {};
    for (let i = 0; i < 100; i++) headers[`h${i}-${'n'.repeat(300)}`] = Buffer.alloc(2_000, 1);
    const record = toDlqRecord(
      { topic: 't', partition: 0 },
      message({ key: Buffer.alloc(500_000, 65), value: Buffer.from('{}'), headers }),
      { code: 'INVALID_JSON', message: 'm'.repeat(50_000) },
      0,
    );
    expect(record).toMatchObject({ key_truncated: true, headers_truncated: true, value_truncated: false });
    expect(Buffer.from(record.key!, 'base64').length).toBe(DLQ_LIMITS.keyBytes);
    expect(Object.keys(record.headers).length).toBeLessThanOrEqual(DLQ_LIMITS.headerCount);
    expect(record.error.message.length).toBe(DLQ_LIMITS.errorChars);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(16_000);
  });

  it('keeps a null value and key as null', () => {
    const record = toDlqRecord(
      { topic: 't', partition: 0 },
      message({ key: null, value: null }),
      { code: 'EMPTY_RECORD', message: 'no value' },
      0,
    );
    expect(record).toMatchObject({
      key: null,
      value: null,
      value_bytes: 0,
      value_sha256: null,
      value_truncated: false,
    });
    expect(DlqRecordSchema.safeParse(record).success).toBe(true);
  });
});

/** A publisher that refuses (for good) the records `refuse` picks, as the real one does. */
function refusing(refuse: (r: OutRecord) => boolean, sent: OutRecord[]): Publisher {
  return {
    async publish(records) {
      const refused = records.flatMap((record, index) =>
        refuse(record)
          ? [{ index, record, error: new AppError('KAFKA_RECORD_REJECTED', `refused ${record.topic}`) }]
          : [],
      );
      sent.push(...records.filter((r) => !refuse(r)));
      if (refused.length > 0) throw new RecordsRefusedError(refused);
    },
    close: async () => {},
  };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { lines, log };
}

describe('createDeadLetters', () => {
  it('dead-letters the record whose output the broker refused, once, and sends the rest', async () => {
    const sent: OutRecord[] = [];
    const { log } = capture();
    const dead = createDeadLetters({
      publisher: refusing((r) => r.topic === 'alerts', sent),
      topic: 'dlq',
      log,
      now: () => 0,
    });
    const a = inRecord({ offset: '7' });
    const b = inRecord({ offset: '8' });
    const out = new Outputs();
    out.add({ topic: 'alerts', key: 'acct-1', value: { n: 1 } }, a);
    out.add({ topic: 'alerts', key: 'acct-1', value: { n: 2 } }, a);
    out.add({ topic: 'ocsf', key: 'acct-1', value: { n: 3 } }, a);
    out.add({ topic: 'ocsf', key: 'acct-1', value: { n: 4 } }, b);
    await dead.publish(out);
    const dlq = sent
      .filter((r) => r.topic === 'dlq')
      .map((r) => r.value as { source: { offset: string }; error: { code: string; message: string } });
    expect(dlq.map((d) => [d.source.offset, d.error.code])).toEqual([['7', 'KAFKA_RECORD_REJECTED']]);
    expect(dlq[0]!.error.message).toMatch(/output to alerts/);
    expect(sent.filter((r) => r.topic === 'ocsf')).toHaveLength(2);
  });

  it('logs DLQ_WRITE_FAILED with the coordinates and counts it when the DLQ refuses, without throwing', async () => {
    const sent: OutRecord[] = [];
    const { lines, log } = capture();
    const metrics = createMetrics();
    const dead = createDeadLetters({
      publisher: refusing((r) => r.topic !== 'ok', sent),
      topic: 'dlq',
      log,
      metrics,
      now: () => 0,
    });
    const bad = inRecord({ offset: '9', value: Buffer.from('{oops') });
    const refusedOutput = inRecord({ offset: '10' });
    const out = new Outputs();
    out.add(dead.record(bad, { code: 'INVALID_JSON', message: 'not valid JSON' }), bad);
    out.add({ topic: 'alerts', key: 'acct-1', value: {} }, refusedOutput);
    out.add({ topic: 'ok', key: 'acct-1', value: {} }, refusedOutput);
    await expect(dead.publish(out)).resolves.toBeUndefined();
    const failed = lines.filter((l) => l.code === 'DLQ_WRITE_FAILED');
    expect(failed.map((l) => [l.topic, l.partition, l.offset, l.reason])).toEqual([
      ['auth.events', 3, '9', 'INVALID_JSON'],
      ['auth.events', 3, '10', 'KAFKA_RECORD_REJECTED'],
    ]);
    expect(await metrics.registry.getSingleMetricAsString('login_alerts_dlq_write_failures_total')).toContain(
      'login_alerts_dlq_write_failures_total{topic="auth.events"} 2',
    );
    expect(sent.map((r) => r.topic)).toEqual(['ok']);
  });

  it('lets a retryable failure through, so the chunk is retried', async () => {
    const { log } = capture();
    const publisher: Publisher = {
      publish: async () => {
        throw new AppError('KAFKA_UNAVAILABLE', 'away', { retryable: true });
      },
      close: async () => {},
    };
    const dead = createDeadLetters({ publisher, topic: 'dlq', log });
    await expect(dead.publish(Outputs.of([{ topic: 'x', key: 'k', value: 1 }]))).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
    });
  });
});
