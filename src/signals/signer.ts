/**
 * Signs SETs (RFC 8417 as profiled by SSF 1.0 §4): header `typ: secevent+jwt` with `alg` and `kid`;
 * claims iss, aud, iat, jti, txn, sub_id and exactly one event; never `sub` or `exp`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';
import { parseKey, type SharedSignalsConfig } from '../config/shared-signals.js';
import { AppError } from '../errors.js';
import type { SetBody } from './events.js';

export interface SetSigner {
  readonly issuer: string;
  /** The published keys: the signing key's public half, then a previous key during a rotation. */
  readonly jwks: { keys: JWK[] };
  sign(body: SetBody, to: { audience: string; jti: string }, now?: number): Promise<string>;
}

/** A signer from the transmitter's settings; `issuer` is PUBLIC_BASE_URL. */
export async function createSigner(config: SharedSignalsConfig, issuer: string): Promise<SetSigner> {
  const privateKey = keyOf(config.signingKey, 'private');
  const current = await publicJwk(createPublicKey(privateKey), config.keyId, config.algorithm);
  const keys = [current];
  if (config.previousKey !== undefined) {
    const previous = keyOf(config.previousKey, 'public');
    const alg = previous.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256';
    const jwk = await publicJwk(previous, config.previousKey.keyId, alg);
    if (jwk.kid !== current.kid) keys.push(jwk);
  }
  const header = { alg: config.algorithm, kid: current.kid!, typ: 'secevent+jwt' };
  return {
    issuer,
    jwks: { keys },
    sign(body, to, now = Date.now()) {
      return new SignJWT({ txn: body.txn, sub_id: body.sub_id, events: { [body.type]: body.payload } })
        .setProtectedHeader(header)
        .setIssuer(issuer)
        .setAudience(to.audience)
        .setIssuedAt(Math.floor(now / 1000))
        .setJti(to.jti)
        .sign(privateKey);
    },
  };
}

/** The key config already parsed once at start (a key that does not parse never gets here). */
function keyOf(source: { text: string }, kind: 'private' | 'public'): KeyObject {
  const parsed = parseKey(source.text, kind);
  if (parsed === undefined) throw new AppError('BAD_CONFIG', `the Shared Signals ${kind} key does not parse`);
  return parsed.key;
}

/** A public JWK with only public members, its `kid` (given, else the RFC 7638 thumbprint), `alg` and `use`. */
async function publicJwk(key: KeyObject, kid: string | undefined, alg: string): Promise<JWK> {
  const { kty, crv, x, y, n, e } = await exportJWK(key);
  const jwk: JWK = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined),
  ) as JWK;
  return { ...jwk, kid: kid ?? (await calculateJwkThumbprint(jwk)), alg, use: 'sig' };
}
