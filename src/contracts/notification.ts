import { z } from 'zod';
import { CHANNELS, type Channel } from './account-security.js';
import { type LoginAlert, LoginAlertSchema } from './login-alert.js';

export const NOTICE_KINDS = ['new_login', 'failed_attempts', 'account_change', 'enrolled'] as const;
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

/**
 * The one builder of notification requests: for an alert (its channels, told when it was
 * detected) or for an enrolment notice.
 */
export function notificationRequest(
  of: { alert: LoginAlert } | { enrolled: EnrolmentNotice },
): NotificationRequest {
  if ('enrolled' in of) return { ...of.enrolled, kind: 'enrolled' };
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
