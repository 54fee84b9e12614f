/**
 * The streams receivers create (SSF 1.0 §8.1.1), their status and their subjects, kept in the store
 * so they survive restarts and are the same on every replica. A stream belongs to one receiver (its
 * audience); every read and change here names the audience, so a receiver never reaches another's.
 */
import { randomUUID } from 'node:crypto';
import {
  type Delivery,
  EVENT_TYPES,
  EVENTS_SUPPORTED,
  type StreamStatus,
  type SubId,
  subjectKey,
} from '../contracts/shared-signals.js';
import { SIGNALS_PREFIX, shortHash } from '../state/keys.js';
import type { Store } from '../state/store.js';
import { type Revised, readRecord, updateRecord } from './records.js';

export interface StreamRecord extends Revised {
  stream_id: string;
  /** The receiver that owns the stream, and the `aud` of its SETs. */
  audience: string;
  delivery: Delivery;
  events_requested: string[];
  description?: string;
  status: StreamStatus;
  reason?: string;
  created_at: string;
}

interface StreamIndex extends Revised {
  ids: string[];
}

/** Streams one receiver may hold at once. */
export const MAX_STREAMS_PER_RECEIVER = 20;

export const signalKeys = {
  index: `${SIGNALS_PREFIX}streams`,
  stream: (id: string) => `${SIGNALS_PREFIX}stream:${id}`,
  subject: (id: string, subject: SubId) => `${signalKeys.subjects(id)}${shortHash(subjectKey(subject))}`,
  /** The prefix of every subject key of a stream. */
  subjects: (id: string) => `${SIGNALS_PREFIX}subj:${id}:`,
  queue: (id: string) => `${SIGNALS_PREFIX}q:${id}`,
  /** Set once a SET is queued: a replay of its record never queues it again. Evictable. */
  queued: (id: string, jti: string) => `la:ssfm:{ssf}:${id}:${jti}`,
  /** Which process pushes a stream now (a lease). Evictable. */
  lease: (id: string) => `la:ssfm:{ssf}:lease:${id}`,
};

/** The events a stream gets: those requested that are supported (all supported when none requested). */
export function eventsDelivered(stream: Pick<StreamRecord, 'events_requested'>): string[] {
  if (stream.events_requested.length === 0) return [...EVENTS_SUPPORTED];
  return EVENTS_SUPPORTED.filter((e) => stream.events_requested.includes(e));
}

/** Whether the stream takes events of `type` at all (verification always). */
export function wants(stream: StreamRecord, type: string): boolean {
  return type === EVENT_TYPES.verification || eventsDelivered(stream).includes(type);
}

export interface StreamRepository {
  all(): Promise<StreamRecord[]>;
  ofReceiver(audience: string): Promise<StreamRecord[]>;
  /** The stream when it exists and belongs to `audience`; undefined otherwise (the two look the same). */
  get(audience: string, id: string): Promise<StreamRecord | undefined>;
  /** A new stream, or undefined when the receiver already holds MAX_STREAMS_PER_RECEIVER. */
  create(
    audience: string,
    fields: Pick<StreamRecord, 'delivery' | 'events_requested' | 'description'>,
  ): Promise<StreamRecord | undefined>;
  /** Applies `change` to the receiver's stream; undefined when it is not theirs or gone. */
  update(
    audience: string,
    id: string,
    change: (s: StreamRecord) => StreamRecord,
  ): Promise<StreamRecord | undefined>;
  remove(audience: string, id: string): Promise<boolean>;
  setSubject(stream: StreamRecord, subject: SubId, present: boolean): Promise<void>;
  /** For each stream, whether its subjects cover `subject`. */
  covers(streams: readonly StreamRecord[], subject: SubId): Promise<boolean[]>;
}

/**
 * The streams of the receivers configured now (`audiences`, from SSF_RECEIVERS). A receiver taken out
 * of the configuration keeps its streams in the store but gets nothing: they are not listed, read,
 * addressed or pushed to until it is configured again.
 */
export function createStreamRepository(
  store: Store,
  opts: { defaultSubjects: 'ALL' | 'NONE'; audiences: readonly string[] },
): StreamRepository {
  const { defaultSubjects } = opts;
  const configured = new Set(opts.audiences);
  const load = async (ids: string[]): Promise<StreamRecord[]> => {
    if (ids.length === 0) return [];
    const texts = await store.read(ids.map(signalKeys.stream));
    return texts.flatMap((t) => {
      const stream = t === undefined ? undefined : (JSON.parse(t) as StreamRecord);
      return stream !== undefined && configured.has(stream.audience) ? [stream] : [];
    });
  };
  const ids = async () => (await readRecord<StreamIndex>(store, signalKeys.index))?.ids ?? [];
  const repo: StreamRepository = {
    all: async () => load(await ids()),
    ofReceiver: async (audience) => (await repo.all()).filter((s) => s.audience === audience),
    async get(audience, id) {
      if (!configured.has(audience)) return undefined;
      const stream = await readRecord<StreamRecord>(store, signalKeys.stream(id));
      return stream?.audience === audience ? stream : undefined;
    },
    async create(audience, fields) {
      if ((await repo.ofReceiver(audience)).length >= MAX_STREAMS_PER_RECEIVER) return undefined;
      const stream: StreamRecord = {
        stream_id: randomUUID(),
        audience,
        ...fields,
        status: 'enabled',
        created_at: new Date().toISOString(),
      };
      // The stream before the index: a crash between them leaves an unlisted stream, never a listed ghost.
      await updateRecord<StreamRecord>(store, signalKeys.stream(stream.stream_id), () => ({
        next: stream,
        result: undefined,
      }));
      await updateRecord<StreamIndex>(store, signalKeys.index, (index) => ({
        next: { ids: [...(index?.ids ?? []), stream.stream_id] },
        result: undefined,
      }));
      return stream;
    },
    update(audience, id, change) {
      return updateRecord<StreamRecord, StreamRecord | undefined>(store, signalKeys.stream(id), (current) => {
        if (current?.audience !== audience) return { next: undefined, result: undefined };
        const next = { ...change(current), stream_id: current.stream_id, audience };
        return { next, result: next };
      });
    },
    async remove(audience, id) {
      if ((await repo.get(audience, id)) === undefined) return false;
      await updateRecord<StreamIndex>(store, signalKeys.index, (index) => ({
        next: { ids: (index?.ids ?? []).filter((i) => i !== id) },
        result: undefined,
      }));
      await store.write([
        { op: 'del', key: signalKeys.stream(id) },
        { op: 'del', key: signalKeys.queue(id) },
      ]);
      // Last: a crash before it leaves subject keys no stream reads (ids are never reused).
      await store.deletePrefix(signalKeys.subjects(id));
      return true;
    },
    async setSubject(stream, subject, present) {
      const key = signalKeys.subject(stream.stream_id, subject);
      const stored = defaultSubjects === 'NONE' ? present : !present;
      await store.write([
        stored ? { op: 'set', key, value: present ? 'added' : 'removed' } : { op: 'del', key },
      ]);
    },
    async covers(streams, subject) {
      if (streams.length === 0) return [];
      const marks = await store.read(streams.map((s) => signalKeys.subject(s.stream_id, subject)));
      return marks.map((m) => (defaultSubjects === 'ALL' ? m !== 'removed' : m === 'added'));
    },
  };
  return repo;
}
