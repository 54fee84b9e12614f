import type { KafkaMessage } from 'kafkajs';
import type { DlqRecord } from '../contracts/records.js';

const b64 = (v: Buffer | string | null | undefined): string | null =>
  v === null || v === undefined ? null : Buffer.from(v).toString('base64');

/** The dead-letter record for a message: original bytes in base64, where it came from, and why. */
export function toDlqRecord(
  source: { topic: string; partition: number },
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>,
  error: { code: string; message: string },
  now: number,
): DlqRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) headers[k] = b64(first) ?? '';
  }
  return {
    key: b64(message.key),
    value: b64(message.value),
    headers,
    source: { topic: source.topic, partition: source.partition, offset: message.offset },
    error: { code: error.code, message: error.message.slice(0, 2_000) },
    failed_at: new Date(now).toISOString(),
  };
}
