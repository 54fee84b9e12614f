import type { WriteOp } from '../state/store.js';

interface Pending {
  nx: boolean;
  value: unknown;
  ttlMs: number;
  guard: string | undefined;
}

/**
 * The state one chunk of events works on: values come from batched reads and are parsed once;
 * writes are seen by later events in the chunk and collapse to one write per key, serialised once.
 */
export class ChunkState {
  private readonly raw = new Map<string, string | undefined>();
  private readonly parsed = new Map<string, unknown>();
  private readonly pending = new Map<string, Pending>();
  /** While `guarded` runs: each key's state before its first change, to put back if it throws. */
  private journal: Map<string, { pending?: Pending; parsed: unknown; wasParsed: boolean }> | undefined;

  /**
   * Runs `fn` (one event's decision); if it throws, every mark and put it made is undone, so an
   * event that could not be processed leaves no trace for the events after it. Rethrows.
   */
  guarded<T>(fn: () => T): T {
    this.journal = new Map();
    try {
      return fn();
    } catch (err) {
      for (const [key, before] of this.journal) {
        if (before.pending) this.pending.set(key, before.pending);
        else this.pending.delete(key);
        if (before.wasParsed) this.parsed.set(key, before.parsed);
        else this.parsed.delete(key);
      }
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  private remember(key: string): void {
    if (!this.journal || this.journal.has(key)) return;
    this.journal.set(key, {
      pending: this.pending.get(key),
      parsed: this.parsed.get(key),
      wasParsed: this.parsed.has(key),
    });
  }

  load(keys: readonly string[], values: readonly (string | undefined)[]): void {
    for (const [i, key] of keys.entries()) this.raw.set(key, values[i]);
  }

  /** Keys of `wanted` not loaded yet, without duplicates. */
  missing(wanted: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const key of wanted) if (!this.raw.has(key)) out.add(key);
    return [...out];
  }

  get<T>(key: string): T | undefined {
    if (this.parsed.has(key)) return this.parsed.get(key) as T;
    const text = this.raw.get(key);
    const value = text === undefined ? undefined : (JSON.parse(text) as T);
    this.parsed.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.raw.get(key) !== undefined || this.pending.has(key);
  }

  /** A marker (set if absent): a replayed chunk never extends or overwrites it. */
  mark(key: string, ttlMs: number, guard?: string): void {
    this.remember(key);
    this.pending.set(key, { nx: true, value: 1, ttlMs, guard });
  }

  put(key: string, value: unknown, ttlMs: number, guard?: string): void {
    this.remember(key);
    this.parsed.set(key, value);
    this.pending.set(key, { nx: false, value, ttlMs, guard });
  }

  /** The chunk's writes, one per key, for one pipelined store call. */
  writes(): WriteOp[] {
    return [...this.pending].map(([key, p]) =>
      p.nx
        ? { op: 'setnx', key, value: '1', ttlMs: p.ttlMs, guard: p.guard }
        : { op: 'set', key, value: JSON.stringify(p.value), ttlMs: p.ttlMs, guard: p.guard },
    );
  }
}
