import { z } from 'zod';
import { AUTH_METHODS, type AuthEvent, EVENT_TYPES, FAILURE_REASONS } from './auth-event.js';
import { IDP_ID_PATTERN, IDP_NAME_PATTERN } from './idp.js';

/*
 * A hand-written check of AuthEvent v1 that accepts only what `AuthEventSchema` accepts and keeps the
 * parsed object as it is (the schema's output for an accepted record is a copy equal to its input).
 * It is the fast path of `validateAuthEvent`: whatever it does not accept goes to zod, which then
 * accepts it or says why not. So it needs to be sound, not complete; test/unit/auth-event-check.test.ts
 * checks both against the schema over arbitrary and near-valid records. The formats are zod's own.
 */

const DATETIME = z.core.regexes.datetime({ offset: true });
const IPV4 = z.core.regexes.ipv4;
const GUID = z.core.regexes.guid;
const isIpv6 = z.core.isValidIPv6;
const TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);
const METHODS: ReadonlySet<unknown> = new Set(AUTH_METHODS);
const REASONS: ReadonlySet<unknown> = new Set(FAILURE_REASONS);

type Obj = Record<string, unknown>;

/** A plain JSON object without an own `__proto__` key (which zod's copy would turn into a prototype). */
function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');
}

function text(v: unknown, min: number, max: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

/** An optional field: absent (JSON has no undefined) or valid. */
function optional(o: Obj, key: string, check: (v: unknown) => boolean): boolean {
  return !Object.hasOwn(o, key) || check(o[key]);
}

const id = (v: unknown) => text(v, 1, 128);

function isClient(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const ip = v.ip;
  if (typeof ip !== 'string' || !(IPV4.test(ip) || isIpv6(ip))) return false;
  return optional(v, 'user_agent', (ua) => text(ua, 0, 2048)) && optional(v, 'device_id', id);
}

function isAuth(v: unknown): boolean {
  if (!isPlainObject(v) || !METHODS.has(v.method)) return false;
  return (
    optional(v, 'credential_id', (c) => text(c, 1, 256)) &&
    optional(v, 'failure_reason', (r) => REASONS.has(r)) &&
    optional(v, 'aaguid', (g) => typeof g === 'string' && GUID.test(g))
  );
}

// The keys each provider's strict idp object allows (IdpSchema): Keycloak needs its realm, the others may name a tenant.
const IDP_KEYS = new Map<unknown, ReadonlySet<string>>([
  ['keycloak', new Set(['provider', 'realm', 'user_id', 'session_id', 'credential_id'])],
  ['auth0', new Set(['provider', 'tenant', 'user_id', 'session_id', 'credential_id'])],
  ['okta', new Set(['provider', 'tenant', 'user_id', 'session_id', 'credential_id'])],
]);
const idpName = (v: unknown) => text(v, 1, 100) && IDP_NAME_PATTERN.test(v as string);
const idpId = (max: number) => (v: unknown) => text(v, 1, max) && IDP_ID_PATTERN.test(v as string);
const idpId128 = idpId(128);
const idpId256 = idpId(256);

/** IdpSchema by hand: most IdP-sourced events carry the block, so it is on the hot path too. */
function isIdp(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const allowed = IDP_KEYS.get(v.provider);
  if (allowed === undefined || Object.keys(v).some((k) => !allowed.has(k))) return false;
  return (
    (v.provider === 'keycloak' ? idpName(v.realm) : optional(v, 'tenant', idpName)) &&
    idpId128(v.user_id) &&
    optional(v, 'session_id', idpId128) &&
    optional(v, 'credential_id', idpId256)
  );
}

/** True only for a value `AuthEventSchema` accepts unchanged. */
export function isAuthEvent(v: unknown): v is AuthEvent {
  if (!isPlainObject(v) || !TYPES.has(v.type)) return false;
  const sessionOk = v.type === 'login.succeeded' ? id(v.session_id) : optional(v, 'session_id', id);
  return (
    sessionOk &&
    v.schema_version === 1 &&
    id(v.event_id) &&
    id(v.account_id) &&
    typeof v.occurred_at === 'string' &&
    DATETIME.test(v.occurred_at) &&
    text(v.product, 1, 64) &&
    text(v.source, 1, 64) &&
    isClient(v.client) &&
    isAuth(v.auth) &&
    optional(v, 'idp', isIdp)
  );
}
