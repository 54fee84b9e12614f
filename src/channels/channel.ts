import type { Channel as ChannelName, PushSubscription } from '../contracts/account-security.js';
import type { AlertKind, Severity } from '../contracts/login-alert.js';

export type { ChannelName };

/** What every delivery carries, whatever the channel. */
interface DeliveryBase {
  /** alert id (or enrolment notice id) this delivery belongs to */
  alertId: string;
  accountId: string;
  kind: AlertKind | 'enrolled' | 'containment';
  severity: Severity;
  /** (alert id, channel, recipient): stable across retries; passed to providers that dedupe on it */
  idempotencyKey: string;
}

export interface EmailDelivery extends DeliveryBase {
  channel: 'email';
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface SmsDelivery extends DeliveryBase {
  channel: 'sms';
  to: string;
  body: string;
}

export interface PushPayload {
  title: string;
  body: string;
  url: string;
  kind: string;
  severity: Severity;
  alert_id: string;
}

export interface PushDelivery extends DeliveryBase {
  channel: 'push';
  subscription: PushSubscription;
  payload: PushPayload;
  /** seconds the push service keeps the message for an offline device */
  ttlS: number;
  urgency: 'normal' | 'high';
  /** replaces an undelivered message with the same topic instead of stacking (max 32 URL-safe chars) */
  topic: string;
}

export type Delivery = EmailDelivery | SmsDelivery | PushDelivery;

export interface SendResult {
  providerMessageId?: string;
}

/**
 * One channel, one method. A failure is thrown as an AppError whose `code` and `retryable`
 * alone tell the dispatcher what to do (retry, suppress, expire, dead-letter).
 */
export interface Channel<D extends Delivery = Delivery> {
  readonly name: ChannelName;
  /** Takes what the channel needs before its first send, so a channel that cannot work fails the start. */
  open?(): Promise<void>;
  send(delivery: D): Promise<SendResult>;
  close?(): Promise<void>;
}
