import { z } from 'zod';
import { CHANNELS } from './account-security.js';
import { IDP_PROVIDERS } from './idp.js';

export const RECEIPT_STATUSES = ['sent', 'failed', 'suppressed', 'expired'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** One receipt per delivery attempt outcome, on login-alerts.deliveries. */
export const DeliveryReceiptSchema = z
  .object({
    alert_id: z.string().min(1),
    channel: z.enum(CHANNELS),
    status: z.enum(RECEIPT_STATUSES),
    attempts: z.number().int().min(1),
    provider_message_id: z.string().optional(),
    error_code: z.string().optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'DeliveryReceipt', title: 'Delivery receipt v1' });
export type DeliveryReceipt = z.output<typeof DeliveryReceiptSchema>;

/**
 * A record that could not be processed, on login-alerts.dlq. Key, value and headers are base64 and
 * bounded (value: its first 64 KiB), so a dead-letter record always fits the broker's limit; the
 * value's full length and SHA-256 identify the original, which stays on its topic at `source`.
 */
export const DlqRecordSchema = z
  .object({
    key: z.string().nullable().describe('base64 of the key (its first 1 KiB)'),
    key_truncated: z.boolean(),
    value: z.string().nullable().describe('base64 of the value (its first 64 KiB)'),
    value_bytes: z.number().int().min(0).describe('length of the whole original value'),
    value_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .describe('hex SHA-256 of the whole original value'),
    value_truncated: z.boolean(),
    headers: z.record(z.string(), z.string()).describe('base64 of each header value (bounded)'),
    headers_truncated: z.boolean(),
    source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
    error: z.object({ code: z.string(), message: z.string() }),
    failed_at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'DlqRecord', title: 'Dead-letter record v1.1' });
export type DlqRecord = z.output<typeof DlqRecordSchema>;

/** Keyed by account_id on the compacted privacy.training-exclusions topic. */
export const TrainingExclusionSchema = z
  .object({
    account_id: z.string().min(1),
    excluded: z.boolean(),
    reason: z.enum(['advanced_security_enrolled', 'advanced_security_unenrolled']),
    changed_at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'TrainingExclusion', title: 'Training exclusion v1' });
export type TrainingExclusion = z.output<typeof TrainingExclusionSchema>;

/** What a report asks an identity provider to do (contract v1.2). */
export const RESPONSE_ACTIONS = ['session_revoked', 'all_sessions_revoked', 'credential_removed'] as const;
export type ResponseAction = (typeof RESPONSE_ACTIONS)[number];
/** `not_found`: the session or credential was already gone, which is as good as done. */
export const RESPONSE_STATUSES = ['done', 'not_found', 'failed'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/**
 * One record per containment action, on login-alerts.responses keyed by account. `response_id` is
 * deterministic per (reported alert, action), so a replay repeats a record and never invents one.
 */
export const ResponseRecordSchema = z
  .object({
    response_id: z.string().min(1),
    alert_id: z.string().min(1).describe('the reported alert'),
    account_id: z.string().min(1),
    idp: z.enum(IDP_PROVIDERS),
    action: z.enum(RESPONSE_ACTIONS),
    status: z.enum(RESPONSE_STATUSES),
    error_code: z.string().optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'ResponseRecord', title: 'Containment response v1.2' });
export type ResponseRecord = z.output<typeof ResponseRecordSchema>;
