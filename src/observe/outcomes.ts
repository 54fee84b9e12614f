import type { AlertKind, Reason, Severity } from '../contracts/login-alert.js';

export type Outcome =
  | 'alerted'
  | 'stale'
  | 'published'
  | 'duplicate_event'
  | 'duplicate_session'
  | 'not_enrolled'
  | 'below_threshold'
  | 'invalid'
  /** the decision threw: dead-lettered with PROCESSING_FAILED */
  | 'failed';

export interface OutcomeEntry {
  event_id: string;
  account_id?: string;
  type?: string;
  outcome: Outcome;
  alert_id?: string;
  kind?: AlertKind;
  severity?: Severity;
  reasons?: Reason[];
  channels?: string[];
  error?: string;
  at: string;
}

/**
 * The last N per-event decisions, kept in memory so people (and `demo`) can see why. Adding runs once
 * per event and is O(1) with no index to keep; a lookup by event id (an operator's question) scans the
 * ring, newest first, so the latest decision about an event is the one found.
 */
export class OutcomeLog {
  private readonly entries: (OutcomeEntry | undefined)[];
  private next = 0;

  constructor(private readonly capacity = 5_000) {
    this.entries = new Array(capacity);
  }

  add(entry: OutcomeEntry): void {
    this.entries[this.next] = entry;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }

  get(eventId: string): OutcomeEntry | undefined {
    for (let i = 1; i <= this.capacity; i++) {
      const entry = this.entries[(this.next - i + this.capacity) % this.capacity];
      if (!entry) return undefined;
      if (entry.event_id === eventId) return entry;
    }
    return undefined;
  }

  recent(limit = 100): OutcomeEntry[] {
    const out: OutcomeEntry[] = [];
    for (let i = 1; i <= Math.min(limit, this.capacity); i++) {
      const entry = this.entries[(this.next - i + this.capacity) % this.capacity];
      if (!entry) break;
      out.push(entry);
    }
    return out;
  }
}
