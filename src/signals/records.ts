/**
 * One JSON record in the store changed by compare-and-set: read, compute the next value, write it
 * only while the stored text is the one read. Every written value carries a fresh `rev`, so reading
 * it back tells whether this write won; a lost race is computed again from the newer value.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Store } from '../state/store.js';

/** A record that must not expire: ten years, renewed by every write that replaces it. */
const FOREVER_MS = 10 * 365 * 24 * 3600 * 1000;
const MAX_TRIES = 20;

export interface Revised {
  rev?: string;
}

/** The record at `key`, parsed (undefined when absent or unreadable). */
export async function readRecord<T>(store: Store, key: string): Promise<T | undefined> {
  const [text] = await store.read([key]);
  return parse<T>(text);
}

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Applies `change` to the record at `key` atomically and returns what it returned. `change` gets the
 * current value (undefined: absent) and returns the next one, `undefined` to leave the record as it
 * is, or `null` to delete it.
 */
export async function updateRecord<T extends Revised, R = void>(
  store: Store,
  key: string,
  change: (current: T | undefined) => { next: T | null | undefined; result: R },
): Promise<R> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const [text] = await store.read([key]);
    const { next, result } = change(parse<T>(text));
    if (next === undefined) return result;
    if (next === null) {
      await store.write([{ op: 'del', key }]);
      return result;
    }
    const value = JSON.stringify({ ...next, rev: randomUUID() });
    if (text === undefined) {
      const [won] = await store.claim([{ key, value, ttlMs: FOREVER_MS }]);
      if (won) return result;
      continue;
    }
    await store.write([{ op: 'cas', key, expect: text, value }]);
    const [after] = await store.read([key]);
    if (after === value) return result;
  }
  throw new AppError('STORE_UNAVAILABLE', `too many concurrent writes to one Shared Signals record`, {
    retryable: true,
  });
}
