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

/** The last N per-event decisions, kept in memory so people (and `demo`) can see why. */
export class OutcomeLog {
  /** A ring: adding is O(1) however full it is (this runs once per event). */
  private readonly entries: (OutcomeEntry | undefined)[];
  private next = 0;
  private readonly byEvent = new Map<string, OutcomeEntry>();

  constructor(private readonly capacity = 5_000) {
    this.entries = new Array(capacity);
  }

  add(entry: OutcomeEntry): void {
    const dropped = this.entries[this.next];
    if (dropped && this.byEvent.get(dropped.event_id) === dropped) this.byEvent.delete(dropped.event_id);
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    this.byEvent.set(entry.event_id, entry);
  }

  get(eventId: string): OutcomeEntry | undefined {
    return this.byEvent.get(eventId);
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
