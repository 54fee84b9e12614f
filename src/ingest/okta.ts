/**
 * Okta event hook → AuthEvents. A hook delivery is `{eventType: "com.okta.event_hook", data: {events: […]}}`;
 * a bare array of System Log events (what GET /api/v1/logs returns, for backfills) is read the same way.
 *
 * Product: the `product` option, else `okta`.
 */
import type { AuthMethod } from '../contracts/auth-event.js';
import {
  aaguidOf,
  at,
  clip,
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

/** A Map, not an object: an event type named `constructor` or `__proto__` is unknown, not inherited. */
const CREDENTIAL_EVENTS: ReadonlyMap<string, 'credential.added' | 'credential.removed'> = new Map([
  ['user.mfa.factor.activate', 'credential.added'],
  ['user.mfa.factor.deactivate', 'credential.removed'],
  ['user.account.update_password', 'credential.added'],
]);

export function mapOkta(payload: unknown, opts: MapOptions): IngestBatch {
  const events = Array.isArray(payload) ? payload : (hookEvents(payload) ?? singleEvent(payload));
  if (!events)
    return {
      ok: false,
      message: 'expected an Okta event hook ({eventType, data: {events}}) or an array of System Log events',
    };
  return { ok: true, outcomes: events.map((e, i) => guarded(i, e, (rec, n) => mapEvent(rec, n, opts))) };
}

/** One System Log event on its own (a line of a JSON-lines backfill). */
function singleEvent(payload: unknown): unknown[] | undefined {
  return isObject(payload) && str(payload, 'uuid') && str(payload, 'eventType') ? [payload] : undefined;
}

function hookEvents(payload: unknown): unknown[] | undefined {
  if (str(payload, 'eventType') !== 'com.okta.event_hook') return undefined;
  const events = at(payload, 'data.events');
  return Array.isArray(events) ? events : undefined;
}

function mapEvent(event: unknown, index: number, opts: MapOptions): IngestOutcome {
  if (!isObject(event)) return invalid(index, undefined, '(record): must be an object');
  const uuid = str(event, 'uuid');
  if (!uuid) return invalid(index, undefined, 'uuid: required (the idempotency key)');
  const eventType = str(event, 'eventType');
  if (!eventType) return invalid(index, uuid, 'eventType: required');
  const result = str(event, 'outcome.result');
  const mapped = typeAndReason(eventType, result, str(event, 'outcome.reason'));
  if ('ignore' in mapped) return ignored(index, uuid, mapped.ignore);
  const eventId = eventIdFrom('okta', uuid);
  const isCredential = mapped.type.startsWith('credential.');
  const session = str(event, 'authenticationContext.externalSessionId');
  const accountId = isCredential ? (userTarget(event) ?? str(event, 'actor.id')) : str(event, 'actor.id');
  return finish(
    index,
    uuid,
    {
      event_id: eventId,
      schema_version: 1,
      type: mapped.type,
      occurred_at: str(event, 'published'),
      account_id: accountId,
      session_id:
        session && session !== 'unknown' ? session : mapped.type === 'login.succeeded' ? eventId : undefined,
      product: clip(opts.product, 64) ?? 'okta',
      client: {
        ip: str(event, 'client.ipAddress'),
        user_agent: clip(str(event, 'client.userAgent.rawUserAgent'), 2048),
      },
      auth: {
        method: isCredential ? credentialMethod(event, eventType) : signInMethod(event, eventType),
        failure_reason: mapped.reason,
        aaguid:
          mapped.type === 'credential.added'
            ? aaguidOf(str(event, 'debugContext.debugData.aaguid'))
            : undefined,
      },
      source: 'okta',
      idp: idpBlock({
        provider: 'okta',
        userId: accountId,
        sessionId: session && session !== 'unknown' ? session : undefined,
        credentialId: isCredential ? factorTarget(event) : undefined,
      }),
    },
    opts.now,
  );
}

type Mapped =
  | {
      type: 'login.succeeded' | 'login.failed' | 'credential.added' | 'credential.removed';
      reason?: FailureReason;
    }
  | { ignore: string };
type FailureReason = 'bad_password' | 'bad_otp' | 'locked' | 'other';

function typeAndReason(eventType: string, result: string | undefined, reason: string | undefined): Mapped {
  if (eventType === 'user.session.start') {
    if (result === 'SUCCESS') return { type: 'login.succeeded' };
    if (result === 'FAILURE') return { type: 'login.failed', reason: failureReason(reason) };
    return { ignore: `user.session.start with outcome ${result ?? '(none)'}` };
  }
  // A refused second factor means the first one (the password) was right.
  if (eventType === 'user.authentication.auth_via_mfa' && result === 'FAILURE')
    return { type: 'login.failed', reason: 'bad_otp' };
  const credential = CREDENTIAL_EVENTS.get(eventType);
  if (credential && (result === undefined || result === 'SUCCESS')) return { type: credential };
  return { ignore: `Okta event type "${eventType}"${result ? ` (${result})` : ''} is not mapped` };
}

function failureReason(reason: string | undefined): FailureReason {
  if (reason === 'INVALID_CREDENTIALS') return 'bad_password';
  if (reason === 'LOCKED_OUT') return 'locked';
  return 'other';
}

/** The user a credential event is about (an admin may be the actor). */
function userTarget(event: Record<string, unknown>): string | undefined {
  const targets = event.target;
  if (!Array.isArray(targets)) return undefined;
  const user = targets.find((t) => str(t, 'type') === 'User');
  return str(user, 'id');
}

/** The factor a credential event is about, when Okta names it among the targets. */
function factorTarget(event: Record<string, unknown>): string | undefined {
  const targets = event.target;
  if (!Array.isArray(targets)) return undefined;
  const factor = targets.find((t) => /factor|authenticator/i.test(str(t, 'type') ?? ''));
  return str(factor, 'id');
}

function signInMethod(event: Record<string, unknown>, eventType: string): AuthMethod {
  if (eventType === 'user.authentication.auth_via_mfa') return 'password_otp';
  const provider = str(event, 'authenticationContext.authenticationProvider');
  if (provider === 'FEDERATION' || provider === 'SOCIAL') return 'sso';
  const credential = str(event, 'authenticationContext.credentialType');
  if (credential === 'IWA' || credential === 'ASSERTION' || credential === 'OAUTH2') return 'sso';
  if (credential === 'EMAIL') return 'magic_link';
  return 'password';
}

/** The factor a credential event is about: WebAuthn factors are passkeys or keys, OTP apps and SMS by name. */
function credentialMethod(event: Record<string, unknown>, eventType: string): AuthMethod {
  if (eventType === 'user.account.update_password') return 'password';
  const factor = (
    str(event, 'debugContext.debugData.factor') ??
    str(event, 'debugContext.debugData.factorType') ??
    ''
  ).toUpperCase();
  if (factor.includes('WEBAUTHN') || factor.includes('FIDO')) return 'passkey';
  if (factor.includes('SMS') || factor.includes('CALL')) return 'password_sms';
  return 'password_otp';
}
