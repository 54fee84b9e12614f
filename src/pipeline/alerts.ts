import { createHash } from 'node:crypto';
import type { Channel } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import type { AlertKind, Device, Geo, LoginAlert, Reason, Severity } from '../contracts/login-alert.js';

/** Deterministic: the same decision on a replay yields the same id, so consumers can dedupe on it. */
export function alertId(kind: AlertKind, accountId: string, discriminator: string): string {
  const digest = createHash('sha256').update(`${kind}\0${accountId}\0${discriminator}`).digest('base64url');
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
  return alert;
}
