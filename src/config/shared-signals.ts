/**
 * The Shared Signals transmitter's settings (SSF_*): on only when SSF_SIGNING_KEY_FILE is set. The
 * key files are read and parsed here, once, so a key that cannot sign stops the start with exit 2.
 */
import { createPrivateKey, createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { optionalText, positiveInt } from './env-fields.js';

export const SSF_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SsfAlgorithm = (typeof SSF_ALGORITHMS)[number];

/** One receiver: the audience its SETs carry and the bearer token it presents. */
export interface SsfReceiver {
  audience: string;
  token: string;
}

export interface SharedSignalsConfig {
  /** The private signing key: PEM (PKCS#8) or JWK text, as read from the file. */
  signingKey: { text: string; format: 'pem' | 'jwk' };
  /** The `kid` of the signing key (SSF_SIGNING_KEY_ID, or its RFC 7638 thumbprint). */
  keyId: string | undefined;
  algorithm: SsfAlgorithm;
  /** A previous public key still published in the JWKS, so SETs signed before a rotation verify. */
  previousKey: { text: string; format: 'pem' | 'jwk'; keyId: string | undefined } | undefined;
  receivers: SsfReceiver[];
  defaultSubjects: 'ALL' | 'NONE';
  /** Push endpoint hosts the operator trusts to resolve anywhere (other hosts: public addresses only). */
  pushAllowedHosts: string[];
  /** SETs kept per stream at most; the oldest is dropped beyond it. */
  maxBacklog: number;
}

const MAX_KEY_BYTES = 64 * 1024;

export const sharedSignalsFields = {
  SSF_SIGNING_KEY_FILE: optionalText,
  SSF_SIGNING_KEY_ID: optionalText.refine(
    (v) => v === undefined || /^[\x21-\x7e]{1,128}$/.test(v),
    'expected 1 to 128 printable characters',
  ),
  SSF_PREVIOUS_PUBLIC_KEY_FILE: optionalText,
  SSF_PREVIOUS_KEY_ID: optionalText.refine(
    (v) => v === undefined || /^[\x21-\x7e]{1,128}$/.test(v),
    'expected 1 to 128 printable characters',
  ),
  SSF_RECEIVERS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const receivers: SsfReceiver[] = [];
      for (const item of (text ?? '').split(',').map((s) => s.trim())) {
        if (item === '') continue;
        const at = item.indexOf('=');
        const audience = item.slice(0, at).trim();
        const token = item.slice(at + 1).trim();
        if (at <= 0 || !/^[\x21-\x7e]{1,256}$/.test(audience) || token.length < 32) {
          ctx.addIssue({
            code: 'custom',
            message: 'expected audience=token pairs separated by commas, each token at least 32 characters',
          });
          return z.NEVER;
        }
        receivers.push({ audience, token });
      }
      const tokens = new Set(receivers.map((r) => r.token));
      const audiences = new Set(receivers.map((r) => r.audience));
      if (tokens.size !== receivers.length || audiences.size !== receivers.length) {
        ctx.addIssue({ code: 'custom', message: 'each receiver needs its own audience and its own token' });
        return z.NEVER;
      }
      return receivers;
    }),
  SSF_DEFAULT_SUBJECTS: z.enum(['ALL', 'NONE']).default('NONE'),
  SSF_PUSH_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  SSF_MAX_BACKLOG: positiveInt(1_000),
};

type SsfEnv = { [K in keyof typeof sharedSignalsFields]: z.output<(typeof sharedSignalsFields)[K]> };

/** The transmitter's settings (undefined: off), or the problems that stop the start (`NAME: why`). */
export function readSharedSignals(e: SsfEnv): { config?: SharedSignalsConfig; problems: string[] } {
  if (e.SSF_SIGNING_KEY_FILE === undefined) {
    const stray = e.SSF_RECEIVERS.length > 0 ? ['SSF_RECEIVERS: set SSF_SIGNING_KEY_FILE too'] : [];
    return { problems: stray };
  }
  const problems: string[] = [];
  const signing = readKey('SSF_SIGNING_KEY_FILE', e.SSF_SIGNING_KEY_FILE, 'private', problems);
  const previous =
    e.SSF_PREVIOUS_PUBLIC_KEY_FILE === undefined
      ? undefined
      : readKey('SSF_PREVIOUS_PUBLIC_KEY_FILE', e.SSF_PREVIOUS_PUBLIC_KEY_FILE, 'public', problems);
  const algorithm = signing === undefined ? undefined : algorithmOf(signing.key);
  if (signing !== undefined && algorithm === undefined)
    problems.push(
      'SSF_SIGNING_KEY_FILE: expected an EC P-256 key (ES256) or an RSA key of 2048 bits or more (RS256)',
    );
  if (e.SSF_RECEIVERS.length === 0)
    problems.push('SSF_RECEIVERS: the transmitter is on: name at least one receiver (audience=token)');
  if (problems.length > 0 || signing === undefined || algorithm === undefined) return { problems };
  return {
    problems,
    config: {
      signingKey: { text: signing.text, format: signing.format },
      keyId: e.SSF_SIGNING_KEY_ID,
      algorithm,
      previousKey:
        previous === undefined
          ? undefined
          : { text: previous.text, format: previous.format, keyId: e.SSF_PREVIOUS_KEY_ID },
      receivers: e.SSF_RECEIVERS,
      defaultSubjects: e.SSF_DEFAULT_SUBJECTS,
      pushAllowedHosts: e.SSF_PUSH_ALLOWED_HOSTS,
      maxBacklog: e.SSF_MAX_BACKLOG,
    },
  };
}

/** The signing algorithm a key can serve: ES256 for P-256, RS256 for RSA of 2048 bits or more. */
export function algorithmOf(key: KeyObject): SsfAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return 'RS256';
  return undefined;
}

/** A key read from a PEM or JWK file and parsed with node:crypto; parse errors become a problem line. */
export function parseKey(
  text: string,
  kind: 'private' | 'public',
): { key: KeyObject; format: 'pem' | 'jwk' } | undefined {
  const trimmed = text.trim();
  const format = trimmed.startsWith('{') ? 'jwk' : 'pem';
  try {
    const input =
      format === 'jwk'
        ? { key: JSON.parse(trimmed) as JsonWebKeyInput['key'], format: 'jwk' as const }
        : { key: trimmed, format: 'pem' as const };
    return { key: kind === 'private' ? createPrivateKey(input) : createPublicKey(input), format };
  } catch {
    return undefined;
  }
}

function readKey(
  variable: string,
  path: string,
  kind: 'private' | 'public',
  problems: string[],
): { key: KeyObject; text: string; format: 'pem' | 'jwk' } | undefined {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_KEY_BYTES) {
      problems.push(`${variable}: ${path} is larger than 64 KiB; expected one key`);
      return undefined;
    }
    text = bytes.toString('utf8');
  } catch (err) {
    problems.push(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  const parsed = parseKey(text, kind);
  if (parsed === undefined || (kind === 'private' && parsed.key.type !== 'private')) {
    problems.push(`${variable}: ${path} holds no ${kind} key (PKCS#8 PEM or JWK expected)`);
    return undefined;
  }
  return { ...parsed, text };
}
