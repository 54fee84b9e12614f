// "This wasn't me" links, sealed. The token is `base64url(version ‖ nonce ‖ ciphertext) + '.' +
// base64url(tag)`: the claims are a compact binary record (the expiry as 4 bytes, then the alert id,
// the account id and the locale, each a tag byte, a 2-byte length and its bytes), encrypted with
// AES-256-GCM, so whoever sees the URL (a mail gateway, a proxy log, a shoulder) learns neither the
// account nor the alert, and the 128-bit tag authenticates the record. Both
// keys are derived from ALERT_LINK_SECRET with HKDF-SHA256, each under its own label. The nonce is
// synthetic: the first 96 bits of an HMAC of the plaintext under the nonce key, so a nonce repeats
// only with its whole plaintext (and then the token too), never for two different records, however
// many links are made. Hex ids (the usual deterministic alert id) are stored as bytes: a 64-hex
// alert id costs 33 bytes instead of 65, and tokens stay under 130 characters.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { AppError } from '../errors.js';

/** What a link proves: which alert of which account, until when, and in which language to answer. */
export interface LinkClaims {
  alertId: string;
  accountId: string;
  /** epoch seconds */
  expiresAt: number;
  locale?: string;
}

const VERSION = 2;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
/** This label and the version byte are authenticated with every token (GCM additional data). */
const AAD = Buffer.concat([Buffer.from('login-alerts/report-link/v2\0', 'utf8'), Buffer.of(VERSION)]);
const KEY_INFO = 'login-alerts/report-link/v2 aes-256-gcm key';
const NONCE_INFO = 'login-alerts/report-link/v2 synthetic nonce key';
const MAX_ID_CHARS = 128;
const MAX_LOCALE_CHARS = 35;
/** Longer tokens are rejected before any decoding work. */
const MAX_TOKEN_CHARS = 2048;
const TOKEN = /^([A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]{22})$/;
// String encodings inside the payload: the tag byte says how the bytes after the length decode.
const UTF8 = 0;
const HEX = 1;

/** Seals claims into a URL-safe token. Throws INTERNAL when the claims are out of range. */
export function signLink(claims: LinkClaims, secret: string): string {
  const keys = keysFor(secret);
  if (!Number.isInteger(claims.expiresAt) || claims.expiresAt < 0 || claims.expiresAt > 0xffffffff) {
    throw new AppError('INTERNAL', 'link expiresAt must be whole epoch seconds within 32 bits');
  }
  const fields = [
    stringField(claims.alertId, 'alertId', MAX_ID_CHARS, false),
    stringField(claims.accountId, 'accountId', MAX_ID_CHARS, false),
    stringField(claims.locale ?? '', 'locale', MAX_LOCALE_CHARS, true),
  ];
  // One buffer, laid out as version ‖ nonce ‖ plaintext, every byte of it written: the plaintext
  // first, then the nonce (an HMAC of the plaintext), then the ciphertext over the plaintext.
  const sealed = Buffer.allocUnsafe(HEADER_BYTES + 4 + fields.reduce((n, f) => n + 3 + f.bytes, 0));
  sealed[0] = VERSION;
  let offset = sealed.writeUInt32BE(claims.expiresAt, HEADER_BYTES);
  for (const f of fields) {
    offset = sealed.writeUInt8(f.encoding === 'hex' ? HEX : UTF8, offset);
    offset = sealed.writeUInt16BE(f.bytes, offset);
    offset += sealed.write(f.value, offset, f.bytes, f.encoding);
  }
  const plain = sealed.subarray(HEADER_BYTES);
  const nonce = sealed.subarray(1, HEADER_BYTES);
  createHmac('sha256', keys.nonce).update(plain).digest().copy(nonce, 0, 0, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  // GCM is a stream mode: update gives as many bytes as it takes; final gives none and makes the tag.
  const sealedBytes = cipher.update(plain).copy(plain);
  cipher.final();
  if (offset !== sealed.length || sealedBytes !== plain.length) {
    throw new AppError('INTERNAL', 'link payload was not written whole');
  }
  return `${sealed.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** Opens a token at `nowMs`; throws AppError LINK_INVALID (forged, altered, malformed) or LINK_EXPIRED. */
export function verifyLink(token: string, secret: string, nowMs: number): LinkClaims {
  const keys = keysFor(secret);
  const match = typeof token === 'string' && token.length <= MAX_TOKEN_CHARS ? TOKEN.exec(token) : null;
  if (match === null) throw invalid('malformed token');
  const sealed = canonicalBase64url(match[1] as string);
  const tag = canonicalBase64url(match[2] as string);
  if (sealed === undefined || tag === undefined || tag.length !== TAG_BYTES || sealed.length <= HEADER_BYTES)
    throw invalid('malformed token');
  if (sealed[0] !== VERSION) throw invalid('unknown version');
  const decipher = createDecipheriv('aes-256-gcm', keys.seal, sealed.subarray(1, HEADER_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(AAD);
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    // Nothing decrypted is read until final() has checked the tag: an altered token yields nothing.
    plain = Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    throw invalid('authentication failed');
  }
  const claims = decodePayload(plain);
  if (nowMs >= claims.expiresAt * 1000) throw new AppError('LINK_EXPIRED', 'link expired');
  return claims;
}

/** The public URL of a report link: `${base}/r/${token}`. */
export function reportUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/r/${token}`;
}

interface LinkKeys {
  /** AES-256-GCM key */
  seal: Buffer;
  /** HMAC key of the synthetic nonce */
  nonce: Buffer;
}

// One secret per process in practice: the keys of the last one are kept, not derived per link.
let cached: { secret: string; keys: LinkKeys } | undefined;

/** The two keys HKDF-SHA256 derives from the secret, each under its own label. */
function keysFor(secret: string): LinkKeys {
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new AppError('BAD_CONFIG', 'link secret must be at least 16 characters');
  }
  if (cached?.secret === secret) return cached.keys;
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const keys = { seal: derive(KEY_INFO), nonce: derive(NONCE_INFO) };
  cached = { secret, keys };
  return keys;
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

interface StringField {
  value: string;
  encoding: 'hex' | 'utf8';
  bytes: number;
}

function stringField(value: string, name: string, maxChars: number, optional: boolean): StringField {
  if (typeof value !== 'string' || (!optional && value.length === 0) || value.length > maxChars) {
    throw new AppError('INTERNAL', `link ${name} must be ${optional ? '0' : '1'}–${maxChars} characters`);
  }
  // Hex ids (the usual alert id) are stored as bytes. 128 UTF-16 units are at most 384 bytes of
  // UTF-8: a two-byte length is always enough.
  const hex = value.length > 0 && value.length % 2 === 0 && /^[0-9a-f]+$/.test(value);
  return hex
    ? { value, encoding: 'hex', bytes: value.length / 2 }
    : { value, encoding: 'utf8', bytes: Buffer.byteLength(value, 'utf8') };
}

function decodePayload(payload: Buffer): LinkClaims {
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > payload.length) throw invalid('truncated payload');
    const at = offset;
    offset += n;
    return at;
  };
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
