import type { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { type AccountSecurity, AccountSecuritySchema } from './account-security.js';
import { type AuthEvent, AuthEventSchema, MAX_EVENT_BYTES, MAX_FUTURE_SKEW_MS } from './auth-event.js';
import { isAuthEvent } from './auth-event-check.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

/** `field: rule` for each issue, so a DLQ reader or a CLI user knows what to fix. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
    .join('; ');
}

/** Parses bytes as a JSON object, never throwing. */
export function decodeJson(value: Buffer | string | null, maxBytes: number): Decoded<unknown> {
  if (value === null || value.length === 0)
    return { ok: false, code: 'EMPTY_RECORD', message: 'record has no value' };
  if (value.length > maxBytes) {
    return {
      ok: false,
      code: 'RECORD_TOO_LARGE',
      message: `record is ${value.length} bytes; the limit is ${maxBytes}`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) };
  } catch (err) {
    return {
      ok: false,
      code: 'INVALID_JSON',
      message: `not valid JSON: ${(err as Error).message.slice(0, 200)}`,
    };
  }
}

/** Validates an AuthEvent against the contract, including the 5-minute future limit. */
export function validateAuthEvent(input: unknown, now: number): Decoded<AuthEvent> {
  let event: AuthEvent;
  if (isAuthEvent(input)) event = input;
  else {
    const parsed = AuthEventSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: 'INVALID_EVENT', message: formatIssues(parsed.error.issues) };
    event = parsed.data;
  }
  if (Date.parse(event.occurred_at) - now > MAX_FUTURE_SKEW_MS) {
    return {
      ok: false,
      code: 'EVENT_IN_FUTURE',
      message: `occurred_at: more than 5 minutes in the future (${event.occurred_at})`,
    };
  }
  return { ok: true, value: event };
}

/** Bytes → AuthEvent, or the reason it is not one. Never throws. */
export function decodeAuthEvent(value: Buffer | string | null, now: number): Decoded<AuthEvent> {
  const json = decodeJson(value, MAX_EVENT_BYTES);
  return json.ok ? validateAuthEvent(json.value, now) : json;
}

/** Bytes → AccountSecurity, or the reason it is not one. Never throws. */
export function decodeAccountSecurity(value: Buffer | string | null): Decoded<AccountSecurity> {
  const json = decodeJson(value, 64 * 1024);
  if (!json.ok) return json;
  const parsed = AccountSecuritySchema.safeParse(json.value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, code: 'INVALID_EVENT', message: formatIssues(parsed.error.issues) };
}
