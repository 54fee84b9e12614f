import type { Message, TopicMessages } from 'kafkajs';
import { AppError } from '../errors.js';
import { classifyProduceError } from './produce-errors.js';
import { MAX_MESSAGE_BYTES } from './topics.js';

/** One record to produce; `value: null` is a tombstone on a compacted topic. */
export interface OutRecord {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
  /** An explicit partition (the retry topic's backoff tiers); otherwise the key decides. */
  partition?: number;
}

/** A record the broker refused for good (or that could never fit): its place in the call and why. */
export interface Refused {
  index: number;
  record: OutRecord;
  error: AppError;
}

/** A publish in which some records were refused for good; every other record of the call is durable. */
export class RecordsRefusedError extends AppError {
  readonly refused: Refused[];
  constructor(refused: Refused[]) {
    super('KAFKA_RECORD_REJECTED', `${refused.length} record(s) refused: ${refused[0]!.error.message}`, {
      retryable: false,
    });
    this.refused = refused;
  }
}

// kafkajs groups messages quadratically inside one send (tulios/kafkajs#1576): keep calls small.
const MAX_PER_CALL = 500;
// One call's messages for a partition travel as one record batch, and the broker refuses a batch over
// max.message.bytes: a request's bytes stay well below it (a record larger than this goes alone).
const MAX_BYTES_PER_CALL = 512 * 1024;

/**
 * An upper bound of a record's size in a record batch of its own (format v2: a 61-byte batch header
 * including the log overhead, then per record its attributes, deltas and lengths as varints).
 */
export function recordBatchBytes(
  key: string,
  value: string | Buffer | null,
  headers?: Record<string, string>,
): number {
  let bytes = 61 + 21 + Buffer.byteLength(key) + (value === null ? 0 : Buffer.byteLength(value));
  for (const [k, v] of Object.entries(headers ?? {}))
    bytes += 10 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
}

/** One record of a call, serialised, with its size and its place in the call. */
export interface Pending {
  topic: string;
  message: Message;
  size: number;
  index: number;
  call: Waiting;
}

/** One publish() call waiting for its records to be sent. */
export interface Waiting {
  records: readonly OutRecord[];
  /** The records serialised; filled by `serialise` once, when the call reaches the head of the queue. */
  messages: Pending[];
  serialised?: boolean;
  refused: Refused[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends one produce request of these messages (the producer's edge). */
export type SendRequest = (topicMessages: TopicMessages[], count: number) => Promise<void>;

/** The message to send for a record, or undefined (and the record refused) when it can never fit. */
function toPending(r: OutRecord, index: number, call: Waiting): Pending | undefined {
  const refuse = (why: string) => {
    const error = new AppError('KAFKA_RECORD_REJECTED', `record for ${r.topic} ${why}: not sent`, {
      retryable: false,
    });
    call.refused.push({ index, record: r, error });
    return undefined;
  };
  // Bytes at once: kafkajs writes a Buffer as it is (a string it measures and encodes again), and
  // the record's JSON text dies young instead of waiting in memory for the request's acks.
  let value: Buffer | null = null;
  if (r.value !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(r.value);
    } catch (err) {
      return refuse(`cannot be written as JSON (${(err as Error).message})`);
    }
    if (json === undefined) return refuse('has no JSON value');
    value = Buffer.from(json);
  }
  const size = recordBatchBytes(r.key, value, r.headers);
  if (size > MAX_MESSAGE_BYTES)
    return refuse(`is ${size} bytes; the broker takes at most ${MAX_MESSAGE_BYTES} (max.message.bytes)`);
  const message: Message = {
    key: r.key,
    value,
    headers: r.headers,
    ...(r.partition === undefined ? {} : { partition: r.partition }),
  };
  return { topic: r.topic, message, size, index, call };
}

/** Serialises a call's records into its messages, once; a record that can never fit is refused instead. */
export function serialise(call: Waiting): void {
  if (call.serialised) return;
  for (const [index, r] of call.records.entries()) {
    const pending = toPending(r, index, call);
    if (pending) call.messages.push(pending);
  }
  call.serialised = true;
}

/**
 * Takes whole calls off the queue up to one request's limits (a single large call goes alone, in
 * parts); it stops before a call with nothing to send, which the caller settles at the head. Calls
 * are serialised here, not when queued: a record's JSON then lives from its request's making to its
 * acks, and a long queue holds only the records its callers hold anyway.
 */
export function takeRequest(queue: Waiting[]): Waiting[] {
  const taken: Waiting[] = [];
  let count = 0;
  let bytes = 0;
  while (queue.length > 0) {
    const next = queue[0]!;
    serialise(next);
    const size = next.messages.reduce((sum, m) => sum + m.size, 0);
    if (
      taken.length > 0 &&
      (next.messages.length === 0 ||
        count + next.messages.length > MAX_PER_CALL ||
        bytes + size > MAX_BYTES_PER_CALL)
    )
      break;
    taken.push(queue.shift()!);
    count += next.messages.length;
    bytes += size;
  }
  return taken;
}

/** Sends the calls' messages in requests within the limits, in order. */
export async function sendAll(calls: Waiting[], send: SendRequest): Promise<void> {
  let request: Pending[] = [];
  let bytes = 0;
  for (const m of calls.flatMap((c) => c.messages)) {
    if (request.length > 0 && (request.length >= MAX_PER_CALL || bytes + m.size > MAX_BYTES_PER_CALL)) {
      await isolate(request, send);
      request = [];
      bytes = 0;
    }
    request.push(m);
    bytes += m.size;
  }
  if (request.length > 0) await isolate(request, send);
}

/**
 * Sends one request; when the broker refuses it for good, finds the refused records by sending the
 * request again in parts (by topic, then halves) down to single records. The broker may have
 * written the other partitions of a refused request: those records can then arrive twice, which
 * every reader of our outputs tolerates (deterministic ids, idempotent deliveries).
 */
async function isolate(messages: Pending[], send: SendRequest): Promise<void> {
  try {
    await send(byTopic(messages), messages.length);
    return;
  } catch (err) {
    const { error, forAll } = classifyProduceError(err);
    if (error.retryable) throw error;
    const topics = new Set(messages.map((m) => m.topic));
    if (messages.length === 1 || (forAll && topics.size === 1)) {
      for (const m of messages)
        m.call.refused.push({ index: m.index, record: m.call.records[m.index]!, error });
      return;
    }
    const parts =
      topics.size > 1
        ? [...topics].map((t) => messages.filter((m) => m.topic === t))
        : [messages.slice(0, messages.length >> 1), messages.slice(messages.length >> 1)];
    for (const part of parts) await isolate(part, send);
  }
}

/** A request's messages grouped by topic, as kafkajs's sendBatch takes them. */
function byTopic(messages: Pending[]): TopicMessages[] {
  const grouped = new Map<string, Message[]>();
  for (const m of messages) {
    const list = grouped.get(m.topic) ?? [];
    list.push(m.message);
    grouped.set(m.topic, list);
  }
  return [...grouped].map(([topic, list]) => ({ topic, messages: list }));
}
