import { z } from 'zod';
import { CHANNELS, type Channel } from './account-security.js';
import { DeviceSchema, GeoSchema, type LoginAlert, LoginAlertSchema } from './login-alert.js';
import { RESPONSE_ACTIONS, RESPONSE_STATUSES } from './records.js';

export const NOTICE_KINDS = [
  'new_login',
  'failed_attempts',
  'account_change',
  'enrolled',
  'containment',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/**
 * Internal: a request to notify one account, on login-alerts.notifications. Each channel's
 * dispatcher reads it in its own consumer group, so one slow provider never holds another back.
 */
export const NotificationRequestSchema = z.object({
  id: z.string().min(1),
  account_id: z.string().min(1),
  kind: z.enum(NOTICE_KINDS),
  channels: z.array(z.enum(CHANNELS)),
  occurred_at: z.iso.datetime({ offset: true }),
  requested_at: z.iso.datetime({ offset: true }),
  alert: LoginAlertSchema.optional(),
  /** kind `containment`: what a report's action did, and the reported sign-in's device and place. */
  containment: z
    .object({
      response_id: z.string().min(1),
      action: z.enum(RESPONSE_ACTIONS),
      status: z.enum(RESPONSE_STATUSES),
      device: DeviceSchema.optional(),
      geo: GeoSchema.optional(),
    })
    .optional(),
});
export type NotificationRequest = z.output<typeof NotificationRequestSchema>;

/** Internal: one delivery of one notice to one recipient, as the retry topic carries it. */
export const DeliveryJobSchema = z.object({
  request: NotificationRequestSchema,
  channel: z.enum(CHANNELS),
  recipient: z.string().min(1),
  attempt: z.number().int().min(1),
  due_at: z.iso.datetime({ offset: true }),
  last_error: z.string().optional(),
});
export type DeliveryJob = z.output<typeof DeliveryJobSchema>;

/** An enrolment notice: no alert behind it, only the account's new enrolment. */
export interface EnrolmentNotice {
  id: string;
  account_id: string;
  channels: Channel[];
  occurred_at: string;
  requested_at: string;
}

/** A containment notice: one response's outcome, told on the reported alert's channels. */
export interface ContainmentNotice {
  account_id: string;
  channels: Channel[];
  /** when the reported sign-in or change happened */
  occurred_at: string;
  requested_at: string;
  containment: NonNullable<NotificationRequest['containment']>;
}

/**
 * The header every notification record carries: the request's channels, comma-separated. A channel's
 * group skips a record whose header does not name it without parsing the request; a record whose
 * header and request name different channels is malformed.
 */
export const CHANNELS_HEADER = 'login-alerts-channels';

/** A notification request as the record to publish: keyed by its account, its channels in CHANNELS_HEADER. */
export function notificationRecord(
  topic: string,
  request: NotificationRequest,
): { topic: string; key: string; value: NotificationRequest; headers: Record<string, string> } {
  return {
    topic,
    key: request.account_id,
    value: request,
    headers: { [CHANNELS_HEADER]: request.channels.join(',') },
  };
}

/** The known channels a CHANNELS_HEADER value names; undefined when it is absent, repeated or names none. */
export function headerChannels(
  raw: Buffer | string | (Buffer | string)[] | undefined,
): Channel[] | undefined {
  const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined || text.length > 64) return undefined;
  const names = text.split(',');
  const named = CHANNELS.filter((c) => names.includes(c));
  return named.length > 0 ? named : undefined;
}

/**
 * The one builder of notification requests: for an alert (its channels, told when it was
 * detected), an enrolment notice, or a containment notice (its id derived from the response id, so
 * a replayed response requests the same notice and delivery's claim sends it once).
 */
export function notificationRequest(
  of: { alert: LoginAlert } | { enrolled: EnrolmentNotice } | { contained: ContainmentNotice },
): NotificationRequest {
  if ('enrolled' in of) return { ...of.enrolled, kind: 'enrolled' };
  if ('contained' in of)
    return { ...of.contained, id: `nt_${of.contained.containment.response_id}`, kind: 'containment' };
  const { alert } = of;
  return {
    id: alert.alert_id,
    account_id: alert.account_id,
    // Only the kinds a notice exists for are ever requested (a user report notifies nobody).
    kind: alert.kind as NoticeKind,
    channels: alert.channels,
    occurred_at: alert.occurred_at,
    requested_at: alert.detected_at,
    alert,
  };
}
