import type { LoginAlert } from '../contracts/login-alert.js';
import type { ResponseRecord } from '../contracts/records.js';

/** The newest `capacity` items, oldest dropped first, and the live listeners of new ones. */
export class RecentFeed<T> {
  private readonly items: T[] = [];
  private readonly listeners = new Set<(item: T) => void>();

  constructor(private readonly capacity = 200) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
    for (const l of this.listeners) l(item);
  }

  /** Newest first. */
  recent(): T[] {
    return [...this.items].reverse();
  }

  subscribe(listener: (item: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * What the dashboard shows: the newest alerts, and the containment outcomes (login-alerts.responses)
 * shown beside the alerts they answer; server-sent event streams listen to both.
 */
export class AlertFeed {
  readonly alerts = new RecentFeed<LoginAlert>();
  readonly responses = new RecentFeed<ResponseRecord>();
}
