import { z } from 'zod';
import { AccountSecuritySchema } from './account-security.js';
import { AuthEventSchema } from './auth-event.js';
import { LoginAlertSchema } from './login-alert.js';
import { NotificationRequestSchema } from './notification.js';
import {
  DeliveryReceiptSchema,
  DlqRecordSchema,
  ResponseRecordSchema,
  TrainingExclusionSchema,
} from './records.js';

/** The zod schemas that are the single source of truth, by the file name of their JSON Schema. */
export const SCHEMAS = {
  'auth-event.schema.json': AuthEventSchema,
  'account-security.schema.json': AccountSecuritySchema,
  'login-alert.schema.json': LoginAlertSchema,
  'delivery-receipt.schema.json': DeliveryReceiptSchema,
  'dlq-record.schema.json': DlqRecordSchema,
  'training-exclusion.schema.json': TrainingExclusionSchema,
  'notification-request.schema.json': NotificationRequestSchema,
  'response-record.schema.json': ResponseRecordSchema,
} as const;

/** JSON Schema text (draft 2020-12) for each contract, as zod's own exporter writes it. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(SCHEMAS)) {
    out[file] =
      `${JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`;
  }
  return out;
}
