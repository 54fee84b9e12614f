import { z } from 'zod';
import { CHANNELS } from './account-security.js';
import { LoginAlertSchema } from './login-alert.js';

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
