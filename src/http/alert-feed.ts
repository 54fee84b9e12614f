import type { LoginAlert } from '../contracts/login-alert.js';

type Listener = (alert: LoginAlert) => void;

/** The newest alerts for the dashboard, and live listeners (server-sent event streams). */
export class AlertFeed {
  private readonly recentAlerts: LoginAlert[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly capacity = 200) {}

  push(alert: LoginAlert): void {
    this.recentAlerts.push(alert);
    if (this.recentAlerts.length > this.capacity) this.recentAlerts.shift();
    for (const l of this.listeners) l(alert);
  }

  recent(): LoginAlert[] {
    return [...this.recentAlerts].reverse();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
