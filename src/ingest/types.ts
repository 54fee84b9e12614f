/**
 * What an IdP mapper returns: per record, an AuthEvent, a record deliberately ignored (an event type
 * login-alerts does not alert on), or a record that cannot become a valid AuthEvent (with the reason).
 * Mappers are pure and never throw, whatever JSON they are given.
 */
import { createHash } from 'node:crypto';
import type { AuthEvent } from '../contracts/auth-event.js';
import { validateAuthEvent } from '../contracts/decode.js';
import { IDP_ID_PATTERN, IDP_NAME_PATTERN, type IdpProvider } from '../contracts/idp.js';
import type { ErrorCode } from '../errors.js';

export const IDP_FORMATS = ['keycloak', 'auth0', 'okta'] as const;
export type IdpFormat = (typeof IDP_FORMATS)[number];

export type IngestOutcome =
  | { kind: 'event'; index: number; idp_event_id?: string; event: AuthEvent }
  | { kind: 'ignored'; index: number; idp_event_id?: string; reason: string }
  | { kind: 'invalid'; index: number; idp_event_id?: string; code: ErrorCode; message: string };

/** A batch the mapper could not read at all (not the IdP's format): a 400, not per-record problems. */
export type IngestBatch = { ok: true; outcomes: IngestOutcome[] } | { ok: false; message: string };

export interface MapOptions {
  /** Milliseconds since the epoch, for the contract's future-timestamp rule. */
  now: number;
  /** The AuthEvent `product`; each mapper has its own default (see its doc comment). */
  product?: string;
}

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a dotted path, or undefined; never throws on any input. */
export function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const key of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A non-empty string at the path, or undefined. */
export function str(v: unknown, path: string): string | undefined {
  const s = at(v, path);
  return typeof s === 'string' && s.trim() !== '' ? s : undefined;
}

const MAX_ID = 128;

/**
 * `prefix:id` from the IdP's own event id, so a batch the IdP sends again maps to the same event_id and
 * is deduplicated downstream; an id too long for the contract is replaced by its SHA-256.
 */
export function eventIdFrom(prefix: string, idpId: string): string {
  const plain = `${prefix}:${idpId}`;
  if (plain.length <= MAX_ID) return plain;
  return `${prefix}:sha256:${createHash('sha256').update(idpId).digest('hex')}`;
}

/** A stable id derived from fields that identify an event, for IdPs that send no event id. */
export function derivedId(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

/** The first `max` characters (user agents longer than the contract allows are cut, not refused). */
export function clip(s: string | undefined, max: number): string | undefined {
  return s === undefined ? undefined : s.slice(0, max);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** A WebAuthn AAGUID worth keeping: a UUID other than the all-zero one ("no attestation", names nothing). */
export function aaguidOf(v: string | undefined): string | undefined {
  if (v === undefined || !UUID.test(v) || v === ZERO_UUID) return undefined;
  return v.toLowerCase();
}

const idpId = (v: string | undefined, max: number) =>
  v !== undefined && v.length <= max && IDP_ID_PATTERN.test(v) ? v : undefined;

/**
 * The AuthEvent's idp block from an IdP's own ids, or undefined when the user id (or a Keycloak realm) does
 * not fit the contract's shape. An optional id that does not fit is left out rather than refusing the event:
 * the alert matters more than the containment it would allow.
 */
export function idpBlock(fields: {
  provider: IdpProvider;
  realm?: string;
  tenant?: string;
  userId?: string;
  sessionId?: string;
  credentialId?: string;
}): Json | undefined {
  const user_id = idpId(fields.userId, 128);
  if (user_id === undefined) return undefined;
  const name = (v: string | undefined) =>
    v !== undefined && v.length <= 100 && IDP_NAME_PATTERN.test(v) ? v : undefined;
  const realm = name(fields.realm);
  if (fields.provider === 'keycloak' && realm === undefined) return undefined;
  return {
    provider: fields.provider,
    realm: fields.provider === 'keycloak' ? realm : undefined,
    tenant: fields.provider === 'keycloak' ? undefined : name(fields.tenant),
    user_id,
    session_id: idpId(fields.sessionId, 128),
    credential_id: idpId(fields.credentialId, 256),
  };
}

/** Drops undefined fields so the candidate is plain JSON (optional fields absent, not undefined). */
function compact<T extends Json>(o: T): T {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = isObject(v) ? compact(v) : v;
  }
  return out as T;
}

/** Validates a mapped candidate against the AuthEvent contract: an event, or `field: rule` problems. */
export function finish(
  index: number,
  idpEventId: string | undefined,
  candidate: Json,
  now: number,
): IngestOutcome {
  const checked = validateAuthEvent(compact(candidate), now);
  if (checked.ok) return { kind: 'event', index, idp_event_id: idpEventId, event: checked.value };
  return { kind: 'invalid', index, idp_event_id: idpEventId, code: checked.code, message: checked.message };
}

export function ignored(index: number, idpEventId: string | undefined, reason: string): IngestOutcome {
  return { kind: 'ignored', index, idp_event_id: idpEventId, reason };
}

export function invalid(index: number, idpEventId: string | undefined, message: string): IngestOutcome {
  return { kind: 'invalid', index, idp_event_id: idpEventId, code: 'INVALID_EVENT', message };
}

/** Runs a per-record mapper so that even an unexpected throw becomes that record's problem. */
export function guarded(
  index: number,
  record: unknown,
  map: (record: unknown, index: number) => IngestOutcome,
): IngestOutcome {
  try {
    return map(record, index);
  } catch (err) {
    return {
      kind: 'invalid',
      index,
      code: 'PROCESSING_FAILED',
      message: (err as Error)?.message ?? String(err),
    };
  }
}
