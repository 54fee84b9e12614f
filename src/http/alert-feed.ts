import type { LoginAlert } from '../contracts/login-alert.js';
import type { ResponseRecord } from '../contracts/records.js';

type Listener = (alert: LoginAlert) => void;
type ResponseListener = (response: ResponseRecord) => void;

/** The newest alerts for the dashboard, and live listeners (server-sent event streams). */
export class AlertFeed {
  private readonly recentAlerts: LoginAlert[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly recentResponseList: ResponseRecord[] = [];
  private readonly responseListeners = new Set<ResponseListener>();

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

  /** A containment outcome (login-alerts.responses), shown beside the alert it answers. */
  pushResponse(response: ResponseRecord): void {
    this.recentResponseList.push(response);
    if (this.recentResponseList.length > this.capacity) this.recentResponseList.shift();
    for (const l of this.responseListeners) l(response);
  }

  recentResponses(): ResponseRecord[] {
    return [...this.recentResponseList].reverse();
  }

  subscribeResponses(listener: ResponseListener): () => void {
    this.responseListeners.add(listener);
    return () => this.responseListeners.delete(listener);
  }
}
