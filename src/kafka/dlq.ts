import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { DlqRecord } from '../contracts/records.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { InRecord } from './consumer-loop.js';
import { type OutRecord, type Publisher, publishEach } from './publisher.js';

/**
 * What a dead-letter record keeps of the original, so that it always fits the broker's limit however
 * large the original was (the base64 of 64 KiB is ~87 KB; the whole record stays near 100 KB at most).
 */
export const DLQ_LIMITS = {
  valueBytes: 64 * 1024,
  keyBytes: 1024,
  headerCount: 32,
  headerNameChars: 256,
  headerBytes: 4 * 1024,
  errorChars: 2_000,
} as const;

type Bytes = Buffer | string | null | undefined;
const asBuffer = (v: Bytes): Buffer | null => (v === null || v === undefined ? null : Buffer.from(v));

/** The first `max` bytes of `v` in base64, and whether anything was cut. */
function prefix(v: Buffer, max: number): { b64: string; cut: boolean } {
  return { b64: v.subarray(0, max).toString('base64'), cut: v.length > max };
}

/** Headers as base64 (first value of each), within the header limits. */
function boundedHeaders(raw: KafkaMessage['headers']): { headers: Record<string, string>; cut: boolean } {
  const headers: Record<string, string> = {};
  let cut = false;
  let budget = DLQ_LIMITS.headerBytes;
  for (const [name, v] of Object.entries(raw ?? {})) {
    const first = asBuffer(Array.isArray(v) ? v[0] : v);
    if (first === null) continue;
    const key = name.slice(0, DLQ_LIMITS.headerNameChars);
    if (Object.keys(headers).length >= DLQ_LIMITS.headerCount || budget <= key.length) {
      cut = true;
      break;
    }
    budget -= key.length;
    const value = prefix(first, budget);
    budget -= Math.min(first.length, budget);
    headers[key] = value.b64;
    cut ||= value.cut || key.length < name.length;
  }
  return { headers, cut };
}

/**
 * The dead-letter record for a message: where it came from, why, and a bounded copy of it (a prefix
 * of the value with the value's full length and SHA-256, so the original can be found and checked).
 */
export function toDlqRecord(
  source: { topic: string; partition: number },
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>,
  error: { code: string; message: string },
  now: number,
): DlqRecord {
  const key = asBuffer(message.key);
  const value = asBuffer(message.value);
  const keyPart = key && prefix(key, DLQ_LIMITS.keyBytes);
  const valuePart = value && prefix(value, DLQ_LIMITS.valueBytes);
  const { headers, cut } = boundedHeaders(message.headers);
  return {
    key: keyPart?.b64 ?? null,
    key_truncated: keyPart?.cut ?? false,
    value: valuePart?.b64 ?? null,
    value_bytes: value?.length ?? 0,
    value_sha256: value && createHash('sha256').update(value).digest('hex'),
    value_truncated: valuePart?.cut ?? false,
    headers,
    headers_truncated: cut,
    source: { topic: source.topic, partition: source.partition, offset: message.offset },
    error: { code: error.code, message: error.message.slice(0, DLQ_LIMITS.errorChars) },
    failed_at: new Date(now).toISOString(),
  };
}

/** The outputs of one chunk, each with the consumed record it came from (when there is one). */
export class Outputs {
  readonly records: OutRecord[] = [];
  readonly origins: (InRecord | undefined)[] = [];

  /** Outputs that came from no one consumed record (a refused one is logged, nothing dead-lettered). */
  static of(records: readonly OutRecord[]): Outputs {
    const outputs = new Outputs();
    for (const r of records) outputs.add(r);
    return outputs;
  }

  add(record: OutRecord, origin?: InRecord): void {
    this.records.push(record);
    this.origins.push(origin);
  }
}

export interface DeadLetters {
  /** The DLQ output for a consumed record, keyed by (a bounded prefix of) the record's key. */
  record(origin: InRecord, error: { code: string; message: string }): OutRecord;
  /**
   * Publishes the outputs. An output the broker refuses for good dead-letters the record it came
   * from (KAFKA_RECORD_REJECTED); a dead-letter record refused too is logged as DLQ_WRITE_FAILED with
   * its coordinates and counted, and the partition goes on. Only retryable failures throw.
   */
  publish(outputs: Outputs): Promise<void>;
}

export function createDeadLetters(deps: {
  publisher: Publisher;
  topic: string;
  log: Logger;
  metrics?: Pick<Metrics, 'dlqWriteFailures' | 'dlqRecords'>;
  now?: () => number;
}): DeadLetters {
  const { publisher, topic, log } = deps;
  const now = deps.now ?? Date.now;

  const record = (origin: InRecord, error: { code: string; message: string }): OutRecord => ({
    topic,
    key: origin.message.key?.subarray(0, DLQ_LIMITS.keyBytes).toString('utf8') ?? '',
    value: toDlqRecord(origin, origin.message, error, now()),
  });

  const writeFailed = (out: OutRecord, error: { code: string; message: string }) => {
    const dlq = out.value as DlqRecord;
    deps.metrics?.dlqWriteFailures.inc({ topic: dlq.source.topic });
    log.error(
      { code: 'DLQ_WRITE_FAILED', ...dlq.source, reason: dlq.error.code, refused: error.code },
      `dead-letter record refused, the record is skipped: ${error.message}`,
    );
  };

  /** Counts the dead-letter records among outputs the broker acknowledged. */
  const countWritten = (written: Iterable<OutRecord>) => {
    if (!deps.metrics) return;
    for (const out of written) {
      if (out.topic !== topic) continue;
      const dlq = out.value as DlqRecord;
      deps.metrics.dlqRecords.inc({ source_topic: dlq.source.topic, code: dlq.error.code });
    }
  };

  return {
    record,
    async publish(outputs) {
      const refused = await publishEach(publisher, outputs.records);
      const written = new Set(outputs.records);
      for (const r of refused) written.delete(r.record);
      countWritten(written);
      if (refused.length === 0) return;
      const second: OutRecord[] = [];
      const handled = new Set<InRecord>();
      for (const { index, record: out, error } of refused) {
        const origin = outputs.origins[index];
        if (out.topic === topic) writeFailed(out, error);
        else if (!origin)
          log.error({ code: error.code, topic: out.topic }, `output refused: ${error.message}`);
        else if (!handled.has(origin)) {
          handled.add(origin);
          second.push(
            record(origin, { code: error.code, message: `output to ${out.topic}: ${error.message}` }),
          );
        }
      }
      const secondWritten = new Set(second);
      for (const { record: out, error } of await publishEach(publisher, second)) {
        secondWritten.delete(out);
        writeFailed(out, error);
      }
      countWritten(secondWritten);
    },
  };
}
