// What a report of an alert can end: kept in the store from the alert itself, because the signed link
// names only the alert and the account, and the ids containment needs come from our own alert, never from
// the request that confirms the report.
import { z } from 'zod';
import { CHANNELS } from '../contracts/account-security.js';
import { IdpSchema } from '../contracts/idp.js';
import { ALERT_KINDS, DeviceSchema, GeoSchema, type LoginAlert, REASONS } from '../contracts/login-alert.js';

/** The reported alert's kind, reasons and IdP ids, and what the confirmation page shows of it. */
export const ReportTargetSchema = z.object({
  kind: z.enum(ALERT_KINDS),
  reasons: z.array(z.enum(REASONS)),
  idp: IdpSchema,
  occurred_at: z.iso.datetime({ offset: true }),
  device: DeviceSchema.optional(),
  geo: GeoSchema.optional(),
  /** the channels the alert went to: the containment notice goes to the same ones */
  channels: z.array(z.enum(CHANNELS)).optional(),
});
export type ReportTarget = z.output<typeof ReportTargetSchema>;

/** The kinds a report can contain: a sign-in (its session) and an account change (its credential). */
const CONTAINABLE: ReadonlySet<string> = new Set(['new_login', 'account_change']);

/** The target to remember for an alert, or undefined when a report of it could end nothing. */
export function targetOf(alert: LoginAlert): ReportTarget | undefined {
  if (!alert.idp || !CONTAINABLE.has(alert.kind)) return undefined;
  const target: ReportTarget = {
    kind: alert.kind,
    reasons: alert.reasons,
    idp: alert.idp,
    occurred_at: alert.occurred_at,
  };
  if (alert.device) target.device = alert.device;
  if (alert.geo) target.geo = alert.geo;
  if (alert.channels.length > 0) target.channels = alert.channels;
  return target;
}

/** A stored target, or undefined when absent or not one (the store is ours, but a value is still checked). */
export function readTarget(text: string | undefined): ReportTarget | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = ReportTargetSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
