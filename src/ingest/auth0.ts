/**
 * Auth0 log stream (custom webhook) → AuthEvents. A batch is a JSON array of `{log_id, data:{…}}` (or of
 * bare log objects, as the Management API returns them); JSON lines are split before this is called.
 *
 * Product: the `product` option, else the Auth0 application's name (`client_name`), else `auth0`.
 */
import type { AuthMethod } from '../contracts/auth-event.js';
import {
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

/**
 * Sign-in codes login-alerts alerts on; every other code is ignored with its name as the reason. A
 * Map, not an object: a code named `constructor` or `__proto__` is unknown, not an inherited property.
 */
const LOGIN_FAILED: ReadonlyMap<string, 'bad_password' | 'bad_otp' | 'other'> = new Map([
  ['f', 'other'],
  ['fp', 'bad_password'],
  ['fu', 'other'],
  ['fc', 'other'],
  ['fco', 'other'],
  ['fcoa', 'other'],
  ['fens', 'other'],
  // A second factor refused after a correct password: the password is known to someone.
  ['gd_auth_failed', 'bad_otp'],
]);

export function mapAuth0(payload: unknown, opts: MapOptions): IngestBatch {
  const records = Array.isArray(payload) ? payload : isObject(payload) ? [payload] : undefined;
  if (!records) return { ok: false, message: 'expected an Auth0 log record or an array of them' };
  return { ok: true, outcomes: records.map((r, i) => guarded(i, r, (rec, n) => mapRecord(rec, n, opts))) };
}

function mapRecord(record: unknown, index: number, opts: MapOptions): IngestOutcome {
  if (!isObject(record)) return invalid(index, undefined, '(record): must be an object');
  const data = isObject(record.data) ? record.data : record;
  const logId = str(record, 'log_id') ?? str(data, 'log_id') ?? str(data, '_id');
  if (!logId) return invalid(index, undefined, 'log_id: required (the idempotency key)');
  const code = str(data, 'type');
  if (!code) return invalid(index, logId, 'data.type: required');
  const failure = LOGIN_FAILED.get(code);
  const enrolled = code === 'gd_enrollment_complete';
  if (code !== 's' && !enrolled && failure === undefined)
    return ignored(index, logId, `Auth0 log type "${code}" is not mapped`);
  const userId = str(data, 'user_id');
  // A failure for a user name that matches no account has no account to alert.
  if (!userId && failure !== undefined) return ignored(index, logId, 'failed sign-in names no Auth0 user');
  const eventId = eventIdFrom('auth0', logId);
  return finish(
    index,
    logId,
    {
      event_id: eventId,
      schema_version: 1,
      type: enrolled ? 'credential.added' : failure === undefined ? 'login.succeeded' : 'login.failed',
      occurred_at: str(data, 'date'),
      account_id: userId,
      session_id: str(data, 'details.session_id') ?? (code === 's' ? eventId : undefined),
      product: clip(opts.product ?? str(data, 'client_name'), 64) ?? 'auth0',
      client: { ip: str(data, 'ip'), user_agent: clip(str(data, 'user_agent'), 2048) },
      auth: { method: methodOf(data, code), failure_reason: failure },
      source: 'auth0',
      idp: idpBlock({
        provider: 'auth0',
        tenant: str(data, 'hostname'),
        userId,
        sessionId: str(data, 'details.session_id'),
        credentialId: enrolled ? str(data, 'details.authenticator.id') : undefined,
      }),
    },
    opts.now,
  );
}

/** performed_amr `phr` (phishing-resistant) is a passkey; federated connections are SSO; `mfa` adds an OTP. */
function methodOf(data: Record<string, unknown>, code: string): AuthMethod {
  if (code === 'gd_auth_failed') return 'password_otp';
  // An MFA enrolment names its authenticator: a passkey, else a second factor.
  if (code === 'gd_enrollment_complete')
    return str(data, 'details.authenticator.type') === 'passkey' ? 'passkey' : 'password_otp';
  const amr = amrOf(at(data, 'details.prompts'));
  if (amr.has('phr')) return 'passkey';
  const strategyType = str(data, 'strategy_type');
  if (strategyType === 'social' || strategyType === 'enterprise') return 'sso';
  if (amr.has('mfa') || amr.has('otp')) return 'password_otp';
  return 'password';
}

function amrOf(prompts: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(prompts)) return out;
  for (const p of prompts) {
    const amr = isObject(p) ? p.performed_amr : undefined;
    if (Array.isArray(amr)) for (const a of amr) if (typeof a === 'string') out.add(a);
  }
  return out;
}
