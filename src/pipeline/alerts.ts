import { hash } from 'node:crypto';
import type { Channel } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import type {
  AlertKind,
  Device,
  Geo,
  LoginAlert,
  Reason,
  ReportScope,
  Severity,
} from '../contracts/login-alert.js';
import { normalAaguid } from '../enrich/authenticators.js';

/** Deterministic: the same decision on a replay yields the same id, so consumers can dedupe on it. */
export function alertId(kind: AlertKind, accountId: string, discriminator: string): string {
  const digest = hash('sha256', `${kind}\0${accountId}\0${discriminator}`, 'base64url');
  return `al_${digest.slice(0, 26)}`;
}

export const CHANGE_REASONS: Record<string, Reason> = {
  'credential.added': 'credential_added',
  'credential.removed': 'credential_removed',
  'recovery.changed': 'recovery_changed',
  'api_key.created': 'api_key_created',
};

export interface AlertParts {
  kind: AlertKind;
  severity: Severity;
  reasons: Reason[];
  device: Device;
  geo: Geo;
  channels: Channel[];
  enrolled: boolean;
  stale: boolean;
  failureCount?: number;
  /** The WebAuthn authenticator's display name, when its AAGUID is known. */
  authenticator?: string;
  discriminator: string;
}

/** Assembles the LoginAlert for one decision about one event. */
export function buildAlert(event: AuthEvent, parts: AlertParts, now: number): LoginAlert {
  const alert: LoginAlert = {
    alert_id: alertId(parts.kind, event.account_id, parts.discriminator),
    event_id: event.event_id,
    account_id: event.account_id,
    kind: parts.kind,
    severity: parts.severity,
    reasons: parts.reasons,
    occurred_at: event.occurred_at,
    detected_at: new Date(now).toISOString(),
    product: event.product,
    auth_method: event.auth.method,
    event_type: event.type,
    ip: event.client.ip,
    device: parts.device,
    geo: parts.geo,
    channels: parts.stale ? [] : parts.channels,
    enrolled: parts.enrolled,
    stale: parts.stale,
  };
  if (event.session_id) alert.session_id = event.session_id;
  if (parts.failureCount !== undefined) alert.failure_count = parts.failureCount;
  if (parts.authenticator !== undefined) alert.authenticator = parts.authenticator;
  const aaguid = event.type === 'credential.added' ? normalAaguid(event.auth.aaguid) : undefined;
  if (aaguid !== undefined) alert.aaguid = aaguid;
  if (event.idp !== undefined) alert.idp = event.idp;
  return alert;
}

/**
 * The LoginAlert a person's "this wasn't me" makes: about an earlier alert rather than an event,
 * so it carries no client; its id derives from the reported alert, so a replay yields the same one.
 */
export function buildReportedAlert(
  accountId: string,
  reportedAlertId: string,
  now: number,
  scope?: ReportScope,
): LoginAlert {
  const at = new Date(now).toISOString();
  const alert: LoginAlert = {
    alert_id: alertId('user_reported', accountId, reportedAlertId),
    event_id: reportedAlertId,
    account_id: accountId,
    kind: 'user_reported',
    severity: 'critical',
    reasons: ['user_reported'],
    occurred_at: at,
    detected_at: at,
    product: 'login-alerts',
    channels: [],
    enrolled: true,
    stale: false,
    reported_alert_id: reportedAlertId,
  };
  if (scope !== undefined) alert.report_scope = scope;
  return alert;
}
