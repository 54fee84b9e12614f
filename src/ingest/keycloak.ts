/**
 * Keycloak user events → AuthEvents. Input: one event or an array of them, in the shape of Keycloak's
 * `org.keycloak.events.Event` / the admin API's EventRepresentation (`GET /admin/realms/{realm}/events`):
 * `{id, time, type, realmId, realmName?, clientId, userId, sessionId, ipAddress, error, details}`.
 * The event-listener provider in integrations/keycloak/ produces the same AuthEvents inside Keycloak.
 *
 * Product: the `product` option, else the realm's name (realmName, else realmId).
 */
import type { AuthMethod } from '../contracts/auth-event.js';
import {
  aaguidOf,
  clip,
  derivedId,
  eventIdFrom,
  finish,
  guarded,
  type IngestBatch,
  type IngestOutcome,
  idpBlock,
  ignored,
  invalid,
  isObject,
  type MapOptions,
  str,
} from './types.js';

type Mapped = 'login.succeeded' | 'login.failed' | 'credential.added' | 'credential.removed';

/**
 * Event types login-alerts alerts on; every other type is ignored with its name as the reason. A Map,
 * not an object: a type named `constructor` or `__proto__` is unknown, not an inherited property.
 */
export const KEYCLOAK_TYPES: ReadonlyMap<string, Mapped> = new Map([
  ['LOGIN', 'login.succeeded'],
  ['LOGIN_ERROR', 'login.failed'],
  ['UPDATE_CREDENTIAL', 'credential.added'],
  ['REMOVE_CREDENTIAL', 'credential.removed'],
]);

/**
 * Keycloak 24+ emits these beside UPDATE_CREDENTIAL / REMOVE_CREDENTIAL (same change, its own event id, the
 * credential in `credential_type`): mapping both would alert twice for one change.
 */
const LEGACY_TWINS = new Set(['UPDATE_PASSWORD', 'UPDATE_TOTP', 'REMOVE_TOTP']);

export function mapKeycloak(payload: unknown, opts: MapOptions): IngestBatch {
  const events = Array.isArray(payload) ? payload : isObject(payload) ? [payload] : undefined;
  if (!events) return { ok: false, message: 'expected a Keycloak event or an array of them' };
  return { ok: true, outcomes: events.map((e, i) => guarded(i, e, (rec, n) => mapEvent(rec, n, opts))) };
}

function mapEvent(event: unknown, index: number, opts: MapOptions): IngestOutcome {
  if (!isObject(event)) return invalid(index, undefined, '(record): must be an object');
  const kcType = str(event, 'type');
  // Date's own range (±8.64e15 ms): beyond it toISOString() would throw.
  const time = typeof event.time === 'number' && Math.abs(event.time) <= 8.64e15 ? event.time : undefined;
  const userId = str(event, 'userId');
  // Keycloak before 22 sent no event id: derive one from what identifies the event, stable across resends.
  const idpId =
    str(event, 'id') ?? derivedId([time, kcType, userId, str(event, 'sessionId'), str(event, 'ipAddress')]);
  if (!kcType) return invalid(index, idpId, 'type: required');
  const type = KEYCLOAK_TYPES.get(kcType);
  if (LEGACY_TWINS.has(kcType))
    return ignored(
      index,
      idpId,
      `${kcType} is also sent as UPDATE_CREDENTIAL / REMOVE_CREDENTIAL, which is mapped`,
    );
  if (!type) return ignored(index, idpId, `Keycloak event type ${kcType} is not mapped`);
  if (time === undefined) return invalid(index, idpId, 'time: must be epoch milliseconds');
  // user_not_found and the like: a failure that names no account has no account to alert.
  if (!userId && type === 'login.failed') return ignored(index, idpId, 'LOGIN_ERROR names no Keycloak user');
  const eventId = eventIdFrom('keycloak', idpId);
  const details = isObject(event.details) ? event.details : {};
  // A sign-in that registered a credential on its way carries that credential, not the one it signed in with.
  const credentialUsed = !(type.startsWith('login.') && registeredCredential(details));
  const credentialType = credentialUsed ? str(details, 'credential_type') : undefined;
  const credentialId = credentialUsed
    ? (str(details, 'public_key_credential_id') ?? str(details, 'credential_id'))
    : undefined;
  return finish(
    index,
    idpId,
    {
      event_id: eventId,
      schema_version: 1,
      type,
      occurred_at: new Date(time).toISOString(),
      account_id: userId,
      session_id: str(event, 'sessionId') ?? (type === 'login.succeeded' ? eventId : undefined),
      product: clip(opts.product ?? str(event, 'realmName') ?? str(event, 'realmId'), 64),
      client: { ip: str(event, 'ipAddress'), user_agent: clip(str(details, 'user_agent'), 2048) },
      auth: {
        method: methodOf(credentialType, details),
        credential_id: clip(credentialId, 256),
        failure_reason:
          type === 'login.failed' ? failureReason(str(event, 'error'), credentialType) : undefined,
        aaguid:
          type === 'credential.added' ? aaguidOf(str(details, 'public_key_credential_aaguid')) : undefined,
      },
      source: 'keycloak',
      // The admin REST API names realms by name: realmName, else realmId (the name unless the realm was
      // created with its own id).
      idp: idpBlock({
        provider: 'keycloak',
        realm: str(event, 'realmName') ?? str(event, 'realmId'),
        userId,
        sessionId: str(event, 'sessionId'),
        credentialId,
      }),
    },
    opts.now,
  );
}

/**
 * Details only Keycloak's WebAuthn registration sets (required actions `webauthn-register` and
 * `webauthn-register-passwordless`, beside `credential_type` and `public_key_credential_id`); a WebAuthn
 * sign-in sets neither. The registration writes them on the flow's event builder, where they stay: the
 * LOGIN that ends the same flow carries the registered credential's type and id, not the one used.
 */
const REGISTRATION_DETAILS = ['public_key_credential_aaguid', 'public_key_credential_label'];

/** Whether the event's details describe a credential registered in its flow (see REGISTRATION_DETAILS). */
function registeredCredential(details: Record<string, unknown>): boolean {
  return REGISTRATION_DETAILS.some((key) => details[key] !== undefined && details[key] !== null);
}

/** WebAuthn passwordless credentials are passkeys, plain WebAuthn ones security keys (second factor). */
export function methodFromCredentialType(credentialType: string | undefined): AuthMethod | undefined {
  switch (credentialType) {
    case 'webauthn-passwordless':
      return 'passkey';
    case 'webauthn':
      return 'security_key';
    case 'otp':
    case 'totp':
    case 'hotp':
      return 'password_otp';
    case 'password':
      return 'password';
    default:
      return undefined;
  }
}

function methodOf(credentialType: string | undefined, details: Record<string, unknown>): AuthMethod {
  const byCredential = methodFromCredentialType(credentialType);
  if (byCredential) return byCredential;
  if (str(details, 'identity_provider')) return 'sso';
  return 'password';
}

function failureReason(error: string | undefined, credentialType: string | undefined): string {
  if (error === 'user_temporarily_disabled') return 'locked';
  if (error === 'invalid_user_credentials') {
    if (credentialType === 'otp') return 'bad_otp';
    if (credentialType?.startsWith('webauthn')) return 'credential_rejected';
    return 'bad_password';
  }
  if (error === 'invalid_totp') return 'bad_otp';
  return 'other';
}
