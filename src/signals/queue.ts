/**
 * Each stream's own queue of signed SETs, in the store: push delivery takes from its head, a polling
 * receiver reads and acknowledges from it. One queue per stream, so a slow or dead receiver backs up
 * only its own. Bounded: beyond `max` SETs the oldest is dropped (and counted).
 */
import type { Store } from '../state/store.js';
import { type Revised, readRecord, updateRecord } from './records.js';
import { signalKeys } from './streams.js';

export interface QueuedSet {
  jti: string;
  /** The signed SET (compact JWS). */
  set: string;
  attempts: number;
  /** Epoch ms before which push does not try it again. */
  dueAt: number;
  queuedAt: number;
}

/** A receiver's refusal of a SET (RFC 8935 §2.3 / RFC 8936 setErrs), the last few kept. */
export interface SetError {
  jti: string;
  err: string;
  description?: string;
  at: string;
}

export interface QueueRecord extends Revised {
  items: QueuedSet[];
  dropped: number;
  errors: SetError[];
}

const KEPT_ERRORS = 10;
const empty = (): QueueRecord => ({ items: [], dropped: 0, errors: [] });

export interface StreamQueue {
  /** Appends the SETs not yet queued; returns how many were added, dropped (the oldest, over the bound) and left. */
  enqueue(
    streamId: string,
    sets: readonly { jti: string; set: string }[],
    now?: number,
  ): Promise<{ added: number; dropped: number; length: number }>;
  read(streamId: string): Promise<QueueRecord>;
  /** Removes `done` jtis and records `errors` (each removed too); returns the length after. */
  settle(streamId: string, done: readonly string[], errors?: readonly SetError[]): Promise<number>;
  /** Drops every SET waiting (a disabled stream holds none). */
  clear(streamId: string): Promise<void>;
  /** A retryable failure of the head SET: tried again at `dueAt`. */
  defer(streamId: string, jti: string, dueAt: number): Promise<void>;
}

export function createStreamQueue(store: Store, max: number): StreamQueue {
  const key = signalKeys.queue;
  return {
    enqueue(streamId, sets, now = Date.now()) {
      type Added = { added: number; dropped: number; length: number };
      return updateRecord<QueueRecord, Added>(store, key(streamId), (current) => {
        const q = current ?? empty();
        const have = new Set(q.items.map((i) => i.jti));
        const fresh = sets.filter((s) => !have.has(s.jti));
        if (fresh.length === 0)
          return { next: undefined, result: { added: 0, dropped: 0, length: q.items.length } };
        const items = [...q.items, ...fresh.map((s) => ({ ...s, attempts: 0, dueAt: now, queuedAt: now }))];
        const over = Math.max(0, items.length - max);
        return {
          next: { ...q, items: items.slice(over), dropped: q.dropped + over },
          result: { added: fresh.length, dropped: over, length: items.length - over },
        };
      });
    },
    async read(streamId) {
      return (await readRecord<QueueRecord>(store, key(streamId))) ?? empty();
    },
    settle(streamId, done, errors = []) {
      const gone = new Set([...done, ...errors.map((e) => e.jti)]);
      return updateRecord<QueueRecord, number>(store, key(streamId), (current) => {
        if (current === undefined) return { next: undefined, result: 0 };
        const items = current.items.filter((i) => !gone.has(i.jti));
        if (items.length === current.items.length && errors.length === 0)
          return { next: undefined, result: items.length };
        const kept = [...current.errors, ...errors].slice(-KEPT_ERRORS);
        return { next: { ...current, items, errors: kept }, result: items.length };
      });
    },
    clear(streamId) {
      return store.write([{ op: 'del', key: key(streamId) }]);
    },
    defer(streamId, jti, dueAt) {
      return updateRecord<QueueRecord>(store, key(streamId), (current) => {
        const item = current?.items.find((i) => i.jti === jti);
        if (current === undefined || item === undefined) return { next: undefined, result: undefined };
        const items = current.items.map((i) =>
          i.jti === jti ? { ...i, attempts: i.attempts + 1, dueAt } : i,
        );
        return { next: { ...current, items }, result: undefined };
      });
    },
  };
}
