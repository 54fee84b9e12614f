import { z } from 'zod';
import { CHANNELS } from './account-security.js';
import { AUTH_METHODS } from './auth-event.js';
import { IdpSchema } from './idp.js';

export const ALERT_KINDS = ['new_login', 'failed_attempts', 'account_change', 'user_reported'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
/** What a confirmed report asks to end: the reported session, or every session of the account. */
export const REPORT_SCOPES = ['session', 'everywhere'] as const;
export type ReportScope = (typeof REPORT_SCOPES)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const REASONS = [
  'new_device',
  'new_country',
  'new_city',
  'impossible_travel',
  'anonymous_network',
  'hosting_network',
  'method_downgrade',
  'unknown_credential',
  'failure_burst',
  'credential_added',
  'credential_removed',
  'recovery_changed',
  'api_key_created',
  'user_reported',
] as const;
export type Reason = (typeof REASONS)[number];

export const DeviceSchema = z.object({
  browser: z.string().optional(),
  browser_version: z.string().optional(),
  os: z.string().optional(),
  os_version: z.string().optional(),
  device_type: z.string().optional(),
  vendor: z.string().optional(),
  model: z.string().optional(),
});
export type Device = z.output<typeof DeviceSchema>;

export const NETWORK_LABELS = ['public', 'private', 'loopback', 'link_local', 'cgnat', 'reserved'] as const;

export const GeoSchema = z.object({
  network: z.enum(NETWORK_LABELS),
  country_code: z.string().optional(),
  country_name: z.string().optional(),
  region: z.string().optional(),
  city: z.string().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
  accuracy_radius_km: z.number().optional(),
  time_zone: z.string().optional(),
  asn: z.number().int().optional(),
  as_org: z.string().optional(),
  is_anonymous: z.boolean().optional(),
  is_anonymous_vpn: z.boolean().optional(),
  is_hosting_provider: z.boolean().optional(),
  is_public_proxy: z.boolean().optional(),
  is_residential_proxy: z.boolean().optional(),
  is_tor_exit_node: z.boolean().optional(),
});
export type Geo = z.output<typeof GeoSchema>;

/** LoginAlert v1: one per alert decision, for security teams. */
export const LoginAlertSchema = z
  .object({
    alert_id: z.string().min(1),
    event_id: z.string().min(1),
    account_id: z.string().min(1),
    session_id: z.string().optional(),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(SEVERITIES),
    reasons: z.array(z.enum(REASONS)),
    occurred_at: z.iso.datetime({ offset: true }),
    detected_at: z.iso.datetime({ offset: true }),
    product: z.string(),
    auth_method: z.enum(AUTH_METHODS).optional(),
    /** The WebAuthn authenticator's display name (at most 64 code points), from its credential's AAGUID. */
    authenticator: z.string().min(1).max(128).optional(),
    /** v1.2, on credential.added: the new WebAuthn credential's AAGUID (lower-case 8-4-4-4-12 hex). */
    aaguid: z.guid().optional(),
    event_type: z.string().optional(),
    ip: z.string().optional(),
    device: DeviceSchema.optional(),
    geo: GeoSchema.optional(),
    channels: z.array(z.enum(CHANNELS)),
    enrolled: z.boolean(),
    stale: z.boolean(),
    failure_count: z.number().int().optional(),
    reported_alert_id: z.string().optional(),
    /** v1.2: the event's identity provider and its ids, copied from the AuthEvent. */
    idp: IdpSchema.optional(),
    /** v1.2, on user_reported: what the person asked to end, the reported session or every session. */
    report_scope: z.enum(REPORT_SCOPES).optional(),
  })
  .meta({ id: 'LoginAlert', title: 'LoginAlert v1' });
export type LoginAlert = z.output<typeof LoginAlertSchema>;
