import { decodeAccountSecurity } from '../contracts/decode.js';
import type { InRecord } from '../kafka/consumer-loop.js';

/**
 * Which accounts are enrolled, held in memory from the compacted `account.security` topic (what Kafka
 * Streams calls a global table): every process reads all of it, so the login-events path can tell an
 * account that is not enrolled without a store round trip. It is a filter in front of the store, not a
 * second source of truth: an account it holds is judged only if its stored profile says enrolled.
 *
 * Two feeders apply records, each partition in offset order: this process's profile view after it
 * stored them, and a private reader of every partition. A record at or below a partition's highest
 * applied offset was applied already and is skipped, so neither feeder takes the directory back in
 * time. Within that order it follows the store's rule: a profile older (`updated_at`) than the one
 * held is stale and ignored; a tombstone forgets the account. So it never says "not enrolled" for an
 * account whose stored profile is enrolled, once it has read as far as the store has.
 * Memory: one entry per enrolled account (about 100 bytes), none for the others.
 */
export class EnrolledDirectory {
  private readonly enrolled = new Map<string, number>();
  private readonly applied = new Map<number, number>();

  /** Applies one account.security record (key = account id; a null value is a tombstone). */
  apply(record: { partition: number; offset: string; key: string; value: Buffer | string | null }): void {
    const offset = Number(record.offset);
    if (offset <= (this.applied.get(record.partition) ?? -1)) return;
    this.applied.set(record.partition, offset);
    this.take(record.key, record.value);
  }

  private take(key: string, value: Buffer | string | null): void {
    if (!key) return;
    if (value === null) {
      this.enrolled.delete(key);
      return;
    }
    const decoded = decodeAccountSecurity(value);
    // The profile view dead-letters such a record and keeps what it had; so does the directory.
    if (!decoded.ok || decoded.value.account_id !== key) return;
    const at = Date.parse(decoded.value.updated_at);
    const held = this.enrolled.get(key);
    if (held !== undefined && held > at) return;
    if (decoded.value.advanced_security.enrolled) this.enrolled.set(key, at);
    else this.enrolled.delete(key);
  }

  /** False only when no enrolled profile has been seen for the account. */
  mayBeEnrolled(account: string): boolean {
    return this.enrolled.has(account);
  }

  get size(): number {
    return this.enrolled.size;
  }
}

/** A consumed account.security record as the directory takes it. */
export function profileRecord(r: InRecord): Parameters<EnrolledDirectory['apply']>[0] {
  return {
    partition: r.partition,
    offset: r.message.offset,
    key: r.message.key?.toString('utf8') ?? '',
    value: r.message.value,
  };
}
