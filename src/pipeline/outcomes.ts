import type { AlertKind, Reason, Severity } from '../contracts/login-alert.js';

export type Outcome =
  | 'alerted'
  | 'stale'
  | 'published'
  | 'duplicate_event'
  | 'duplicate_session'
  | 'not_enrolled'
  | 'below_threshold'
  | 'invalid';

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
  private readonly entries: OutcomeEntry[] = [];
  private readonly byEvent = new Map<string, OutcomeEntry>();

  constructor(private readonly capacity = 5_000) {}

  add(entry: OutcomeEntry): void {
    this.entries.push(entry);
    this.byEvent.set(entry.event_id, entry);
    if (this.entries.length > this.capacity) {
      const dropped = this.entries.shift()!;
      if (this.byEvent.get(dropped.event_id) === dropped) this.byEvent.delete(dropped.event_id);
    }
  }

  get(eventId: string): OutcomeEntry | undefined {
    return this.byEvent.get(eventId);
  }

  recent(limit = 100): OutcomeEntry[] {
    return this.entries.slice(-limit).reverse();
  }
}
