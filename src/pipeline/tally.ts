import type { AuthEvent } from '../contracts/auth-event.js';
import type { LoginAlert } from '../contracts/login-alert.js';
import type { Metrics } from '../observe/metrics.js';
import type { Outcome, OutcomeLog } from '../observe/outcomes.js';

/**
 * One chunk's outcomes: each goes to the outcome log at once; the metrics get one increment per
 * (type, outcome) pair once the events are durable (at the end of each run of the chunk), because a
 * labelled increment per event costs.
 */
export class Tally {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly outcomes: OutcomeLog | undefined,
    private readonly at: string,
  ) {}

  /** Notes one event's outcome (no event: a record that could not be decoded). */
  note(outcome: Outcome, event?: AuthEvent, alert?: LoginAlert): void {
    const label = `${event?.type ?? 'invalid'}|${outcome}`;
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    if (!this.outcomes || !event) return;
    this.outcomes.add({
      event_id: event.event_id,
      account_id: event.account_id,
      type: event.type,
      outcome,
      alert_id: alert?.alert_id,
      kind: alert?.kind,
      severity: alert?.severity,
      reasons: alert?.reasons,
      channels: alert?.channels,
      at: this.at,
    });
  }

  /** Adds the counts noted since the last flush to `login_alerts_events_total`. */
  flush(metrics: Metrics): void {
    for (const [label, n] of this.counts) {
      const [type, outcome] = label.split('|') as [string, string];
      metrics.eventsIn.inc({ type, outcome }, n);
    }
    this.counts.clear();
  }
}
