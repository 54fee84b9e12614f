// Signed "This wasn't me" links. The token is `base64url(payload) + '.' + base64url(mac)`, where the
// payload is a compact binary record (version, expiry, alert id, account id, locale) and the mac is
// HMAC-SHA256 over a domain label and the payload, truncated to 128 bits (RFC 2104 §5 allows
// truncation to half the hash length). Hex ids (the usual deterministic alert id) are stored as
// bytes, so a 64-hex alert id costs 33 bytes instead of 65: tokens stay around 120 characters.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/** What a link proves: which alert of which account, until when, and in which language to answer. */
export interface LinkClaims {
  alertId: string;
  accountId: string;
  /** epoch seconds */
  expiresAt: number;
  locale?: string;
}

const VERSION = 1;
const MAC_BYTES = 16;
const DOMAIN = Buffer.from('login-alerts/report-link/v1\0', 'utf8');
const MAX_ID_CHARS = 128;
const MAX_LOCALE_CHARS = 35;
/** Longer tokens are rejected before any decoding work. */
const MAX_TOKEN_CHARS = 2048;
const TOKEN = /^([A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]{22})$/;
// String encodings inside the payload: the tag byte says how the bytes after the length decode.
const UTF8 = 0;
const HEX = 1;

/** Signs claims into a URL-safe token. Throws INTERNAL when the claims are out of range. */
export function signLink(claims: LinkClaims, secret: string): string {
  checkSecret(secret);
  if (!Number.isInteger(claims.expiresAt) || claims.expiresAt < 0 || claims.expiresAt > 0xffffffff) {
    throw new AppError('INTERNAL', 'link expiresAt must be whole epoch seconds within 32 bits');
  }
  const expiry = Buffer.alloc(4);
  expiry.writeUInt32BE(claims.expiresAt);
  const payload = Buffer.concat([
    Buffer.of(VERSION),
    expiry,
    encodeString(claims.alertId, 'alertId', MAX_ID_CHARS, false),
    encodeString(claims.accountId, 'accountId', MAX_ID_CHARS, false),
    encodeString(claims.locale ?? '', 'locale', MAX_LOCALE_CHARS, true),
  ]);
  return `${payload.toString('base64url')}.${mac(payload, secret).toString('base64url')}`;
}

/** Verifies a token at `nowMs`; throws AppError LINK_INVALID (forged, altered, malformed) or LINK_EXPIRED. */
export function verifyLink(token: string, secret: string, nowMs: number): LinkClaims {
  checkSecret(secret);
  const match = typeof token === 'string' && token.length <= MAX_TOKEN_CHARS ? TOKEN.exec(token) : null;
  if (match === null) throw invalid('malformed token');
  const payload = canonicalBase64url(match[1] as string);
  const given = canonicalBase64url(match[2] as string);
  if (payload === undefined || given === undefined || given.length !== MAC_BYTES)
    throw invalid('malformed token');
  // Compare before parsing: nothing an attacker wrote is interpreted until the mac holds.
  if (!timingSafeEqual(given, mac(payload, secret))) throw invalid('signature mismatch');
  const claims = decodePayload(payload);
  if (nowMs >= claims.expiresAt * 1000) throw new AppError('LINK_EXPIRED', 'link expired');
  return claims;
}

/** The public URL of a report link: `${base}/r/${token}`. */
export function reportUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/r/${token}`;
}

function mac(payload: Buffer, secret: string): Buffer {
  return createHmac('sha256', secret).update(DOMAIN).update(payload).digest().subarray(0, MAC_BYTES);
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new AppError('BAD_CONFIG', 'link secret must be at least 16 characters');
  }
}

function invalid(why: string): AppError {
  return new AppError('LINK_INVALID', `invalid link: ${why}`);
}

// Buffer.from(…, 'base64url') ignores stray trailing bits, so two spellings could decode alike;
// only the canonical spelling is accepted, which keeps "any changed character is invalid" true.
function canonicalBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function encodeString(value: string, name: string, maxChars: number, optional: boolean): Buffer {
  if (typeof value !== 'string' || (!optional && value.length === 0) || value.length > maxChars) {
    throw new AppError('INTERNAL', `link ${name} must be ${optional ? '0' : '1'}–${maxChars} characters`);
  }
  const hex = value.length > 0 && value.length % 2 === 0 && /^[0-9a-f]+$/.test(value);
  const bytes = hex ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8');
  // 128 characters of UTF-8 fit in 512 bytes: a two-byte length is always enough.
  const head = Buffer.alloc(3);
  head.writeUInt8(hex ? HEX : UTF8, 0);
  head.writeUInt16BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

function decodePayload(payload: Buffer): LinkClaims {
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > payload.length) throw invalid('truncated payload');
    const at = offset;
    offset += n;
    return at;
  };
  if (payload.readUInt8(need(1)) !== VERSION) throw invalid('unknown version');
  const expiresAt = payload.readUInt32BE(need(4));
  const readString = () => {
    const tag = payload.readUInt8(need(1));
    const length = payload.readUInt16BE(need(2));
    const bytes = payload.subarray(need(length), offset);
    if (tag === HEX) return bytes.toString('hex');
    if (tag === UTF8) return bytes.toString('utf8');
    throw invalid('unknown string encoding');
  };
  const alertId = readString();
  const accountId = readString();
  const locale = readString();
  if (offset !== payload.length || alertId === '' || accountId === '') throw invalid('bad payload');
  return locale === '' ? { alertId, accountId, expiresAt } : { alertId, accountId, expiresAt, locale };
}
