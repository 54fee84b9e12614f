import { isIP } from 'node:net';
import type { AuthMethod } from './auth-event.js';
import type { LoginAlert, Severity } from './login-alert.js';
import { OCSF_AUTHENTICATION, OCSF_VERSION, type OcsfAuthentication } from './ocsf-schema.js';

export {
  OCSF_AUTHENTICATION,
  OCSF_VERSION,
  type OcsfAuthentication,
  OcsfAuthenticationSchema,
} from './ocsf-schema.js';

type Out = OcsfAuthentication;
type SrcEndpoint = NonNullable<Out['src_endpoint']>;

const SEVERITY: Record<Severity, { severity_id: Out['severity_id']; severity: string }> = {
  info: { severity_id: 1, severity: 'Informational' },
  warning: { severity_id: 3, severity: 'Medium' },
  critical: { severity_id: 5, severity: 'Critical' },
};

// OCSF has no WebAuthn/FIDO2 protocol id, so those are 99 with a caption. The device flow is an OAuth 2.0 grant.
const PROTOCOL: Record<
  AuthMethod,
  { auth_protocol_id: NonNullable<Out['auth_protocol_id']>; auth_protocol: string }
> = {
  passkey: { auth_protocol_id: 99, auth_protocol: 'FIDO2 WebAuthn (passkey)' },
  security_key: { auth_protocol_id: 99, auth_protocol: 'FIDO2 WebAuthn (security key)' },
  password: { auth_protocol_id: 99, auth_protocol: 'Password' },
  password_otp: { auth_protocol_id: 99, auth_protocol: 'Password + OTP' },
  password_sms: { auth_protocol_id: 99, auth_protocol: 'Password + SMS code' },
  sso: { auth_protocol_id: 99, auth_protocol: 'Single sign-on' },
  magic_link: { auth_protocol_id: 99, auth_protocol: 'Email magic link' },
  recovery_code: { auth_protocol_id: 99, auth_protocol: 'Recovery code' },
  device_code: { auth_protocol_id: 6, auth_protocol: 'OAUTH 2.0' },
};

// is_mfa only where the method settles it: passkeys verify the user on the device; a security key may be used
// without a PIN, SSO depends on the identity provider and a device code on the approving session: left unset.
const MFA: Partial<Record<AuthMethod, boolean>> = {
  passkey: true,
  password_otp: true,
  password_sms: true,
  password: false,
  magic_link: false,
  recovery_code: false,
};

// Maps, not object literals: keys come from parsed data, and "constructor" must not find a prototype member.
const OS_TYPES = new Map<string, NonNullable<SrcEndpoint['os']>['type_id']>([
  ['windows', 100],
  ['windows phone', 101],
  ['windows mobile', 101],
  ['linux', 200],
  ['ubuntu', 200],
  ['debian', 200],
  ['fedora', 200],
  ['android', 201],
  ['macos', 300],
  ['ios', 301],
  ['ipados', 302],
  ['solaris', 400],
  ['aix', 401],
  ['hp-ux', 402],
]);
const OS_CAPTIONS: Record<number, string> = {
  99: 'Other',
  100: 'Windows',
  101: 'Windows Mobile',
  200: 'Linux',
  201: 'Android',
  300: 'macOS',
  301: 'iOS',
  302: 'iPadOS',
  400: 'Solaris',
  401: 'AIX',
  402: 'HP-UX',
};

const DEVICE_TYPES = new Map<string, { type_id: NonNullable<SrcEndpoint['type_id']>; type: string }>([
  ['desktop', { type_id: 2, type: 'Desktop' }],
  ['tablet', { type_id: 4, type: 'Tablet' }],
  ['mobile', { type_id: 5, type: 'Mobile' }],
  ['wearable', { type_id: 7, type: 'IOT' }],
  ['smarttv', { type_id: 7, type: 'IOT' }],
  ['embedded', { type_id: 7, type: 'IOT' }],
]);

// Fixed names rather than text derived from the event, so nothing unexpected lands in activity_name.
const CHANGE_ACTIVITIES = new Map([
  ['credential.added', 'Credential Added'],
  ['credential.removed', 'Credential Removed'],
  ['recovery.changed', 'Recovery Changed'],
  ['api_key.created', 'API Key Created'],
]);
const words = (reason: string) => reason.replace(/_/g, ' ');
const finite = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);
// Empty strings are absent: OCSF string attributes here must not be empty.
const opt = (s: string | undefined): string | undefined => (s ? s : undefined);

/** Activity and status: sign-ins are Logon (1); account changes and user reports have no OCSF activity (99). */
function activityOf(a: LoginAlert): Pick<Out, 'activity_id' | 'activity_name' | 'status_id' | 'status'> {
  switch (a.kind) {
    case 'new_login':
      return { activity_id: 1, activity_name: 'Logon', status_id: 1, status: 'Success' };
    case 'failed_attempts':
      return { activity_id: 1, activity_name: 'Logon', status_id: 2, status: 'Failure' };
    case 'account_change':
      return {
        activity_id: 99,
        activity_name: CHANGE_ACTIVITIES.get(a.event_type ?? '') ?? 'Account Change',
        status_id: 1,
        status: 'Success',
      };
    case 'user_reported':
      // The report is about an earlier sign-in whose outcome this alert does not restate.
      return { activity_id: 99, activity_name: 'User Reported', status_id: 99, status: 'Reported by user' };
  }
}

function messageOf(a: LoginAlert): string {
  const why = a.reasons.length > 0 ? `: ${a.reasons.map(words).join(', ')}` : '';
  switch (a.kind) {
    case 'new_login':
      return `Sign-in to ${a.product}${why}`;
    case 'failed_attempts':
      return `${a.failure_count ?? 'Several'} failed sign-in attempts to ${a.product}`;
    case 'account_change':
      return `Account change on ${a.product}${why}`;
    case 'user_reported':
      return `User reported a sign-in to ${a.product} as not theirs`;
  }
}

function srcEndpointOf(a: LoginAlert): SrcEndpoint | undefined {
  if (a.ip === undefined || isIP(a.ip) === 0) return undefined;
  const { geo, device } = a;
  const ep: SrcEndpoint = { ip: a.ip };
  const cc = geo?.country_code?.trim().toUpperCase();
  const country = cc?.length === 2 ? cc : undefined;
  if (geo && (country || geo.region || geo.city)) {
    ep.location = { country, region: opt(geo.region), city: opt(geo.city), desc: opt(geo.country_name) };
    if (finite(geo.latitude) && finite(geo.longitude)) {
      Object.assign(ep.location, {
        lat: geo.latitude,
        long: geo.longitude,
        coordinates: [geo.longitude, geo.latitude],
      });
    }
  }
  if (geo && (geo.asn !== undefined || geo.as_org))
    ep.autonomous_system = { number: geo.asn, name: opt(geo.as_org) };
  if (device?.os) {
    const type_id = OS_TYPES.get(device.os.toLowerCase()) ?? 99;
    ep.os = { name: device.os, version: opt(device.os_version), type_id, type: OS_CAPTIONS[type_id] };
  }
  const type = device?.device_type === undefined ? undefined : DEVICE_TYPES.get(device.device_type);
  if (type) Object.assign(ep, type);
  return ep;
}

/**
 * The OCSF Authentication event for one LoginAlert. Like the alert, it carries the parsed device, never the raw
 * user agent: the device goes to `src_endpoint.os`/`type` and `unmapped.device`, and `http_request.user_agent`
 * is left out because readers expect a real User-Agent header there, not a string we composed.
 */
export function toOcsfAuthentication(
  alert: LoginAlert,
  opts: { vendorName?: string } = {},
): OcsfAuthentication {
  const activity = activityOf(alert);
  const { geo } = alert;
  const src = srcEndpointOf(alert);
  const protocol = alert.auth_method === undefined ? undefined : PROTOCOL[alert.auth_method];
  return {
    ...OCSF_AUTHENTICATION,
    category_name: 'Identity & Access Management',
    class_name: 'Authentication',
    ...activity,
    type_uid: OCSF_AUTHENTICATION.class_uid * 100 + activity.activity_id,
    type_name: `Authentication: ${activity.activity_name}`,
    time: Date.parse(alert.occurred_at),
    ...SEVERITY[alert.severity],
    count:
      alert.kind === 'failed_attempts' && (alert.failure_count ?? 0) > 0 ? alert.failure_count : undefined,
    message: messageOf(alert),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'login-alerts', vendor_name: opts.vendorName ?? 'login-alerts' },
      uid: alert.alert_id,
      original_time: alert.occurred_at,
      processed_time: Date.parse(alert.detected_at),
    },
    user: { uid: alert.account_id, type_id: 1, type: 'User' },
    service: { name: alert.product || 'unknown' },
    session: alert.session_id ? { uid: alert.session_id } : undefined,
    src_endpoint: src,
    ...protocol,
    is_mfa: alert.auth_method === undefined ? undefined : MFA[alert.auth_method],
    is_remote: true,
    observables: src
      ? [{ name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: src.ip }]
      : undefined,
    unmapped: {
      alert_kind: alert.kind,
      reasons: alert.reasons,
      event_id: alert.event_id,
      event_type: alert.event_type,
      auth_method: alert.auth_method,
      device: alert.device,
      network: geo && {
        network: geo.network,
        accuracy_radius_km: geo.accuracy_radius_km,
        time_zone: geo.time_zone,
        is_anonymous: geo.is_anonymous,
        is_anonymous_vpn: geo.is_anonymous_vpn,
        is_hosting_provider: geo.is_hosting_provider,
        is_public_proxy: geo.is_public_proxy,
        is_residential_proxy: geo.is_residential_proxy,
        is_tor_exit_node: geo.is_tor_exit_node,
      },
      failure_count: alert.failure_count,
      reported_alert_id: alert.reported_alert_id,
      enrolled: alert.enrolled,
      stale: alert.stale,
    },
  };
}
