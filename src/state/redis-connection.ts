import type { ConnectionOptions } from 'node:tls';
import type { Cluster, Redis } from 'ioredis';
import type { RedisSecurity } from '../config/redis-tls.js';
import { UNTRUSTED_CERT_CODES } from '../config/tls-trust.js';
import { AppError } from '../errors.js';

/**
 * How both Redis stores connect: TLS and ACL credentials from the configuration, and the reason a
 * connection failed, kept so that "Connection is closed" becomes "the server's certificate is not
 * trusted" or "WRONGPASS". Only error messages are kept, never the error objects: an AUTH reply error
 * carries the command, and so the password, among its properties.
 */

/** Why Redis turned this client away: a setting an operator must fix, not an outage. */
export type Refusal = 'credentials' | 'permission' | 'tls';

/** A store call failed because Redis refused this client; retryable, since the fix needs no restart. */
export class StoreRefused extends AppError {
  readonly refusal: Refusal;
  constructor(refusal: Refusal, message: string) {
    super('STORE_REFUSED', message, { retryable: true });
    this.name = 'StoreRefused';
    this.refusal = refusal;
  }
}

/** The ioredis options that carry TLS and the ACL user (a URL's own credentials win over none). */
export function securityOptions(security: RedisSecurity | undefined): {
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
} {
  if (!security) return {};
  const options: { tls?: ConnectionOptions; username?: string; password?: string } = {};
  if (security.tls) {
    const { ca, cert, key } = security.tls;
    options.tls = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert, key }),
    };
  }
  if (security.username !== undefined) options.username = security.username;
  if (security.password !== undefined) options.password = security.password;
  return options;
}

/** The refusal an error reports: Redis's error prefix (WRONGPASS, NOAUTH, NOPERM) or a TLS code. */
export function refusalOf(err: unknown): Refusal | undefined {
  if (!isErrorLike(err)) return undefined;
  const code = err.code;
  if (
    typeof code === 'string' &&
    (UNTRUSTED_CERT_CODES.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code.startsWith('ERR_SSL_'))
  )
    return 'tls';
  const prefix = /^[A-Z]+/.exec(err.message)?.[0];
  if (prefix === 'WRONGPASS' || prefix === 'NOAUTH') return 'credentials';
  if (prefix === 'NOPERM') return 'permission';
  return undefined;
}

/** An Error by shape: errors raised inside Node (TLS, sockets) may come from another realm. */
function isErrorLike(err: unknown): err is { message: string; code?: unknown } {
  return (
    typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
  );
}

const REFUSAL_TEXT: Record<Refusal, string> = {
  credentials: 'Redis refused the user or password',
  permission: 'the Redis user lacks a permission the store needs',
  tls: 'the TLS handshake with Redis failed',
};

/**
 * Remembers the last connection error of `client` (each node's, for a Cluster) and turns a failure
 * into an error that says why: a StoreRefused when Redis or TLS refused this client.
 */
export function explainFailures(client: Redis | Cluster, name: string) {
  let last: { message: string; refusal: Refusal | undefined } | undefined;
  const remember = (err: unknown) => {
    // A Cluster that reached no node reports the last node's error inside its own.
    const cause =
      isErrorLike(err) && 'lastNodeError' in err ? (err as { lastNodeError: unknown }).lastNodeError : err;
    if (isErrorLike(cause)) last = { message: cause.message, refusal: refusalOf(cause) };
  };
  client.on('error', remember);
  client.on('node error', remember);
  client.on('ready', () => {
    last = undefined;
  });
  return {
    /** The failure of a call, explained by the connection's last error when the call's own says little. */
    explain(err: unknown): unknown {
      const own = refusalOf(err);
      if (own) return new StoreRefused(own, `${REFUSAL_TEXT[own]}: ${(err as Error).message}`);
      if (last?.refusal)
        return new StoreRefused(last.refusal, `${REFUSAL_TEXT[last.refusal]}: ${last.message}`);
      if (last && client.status !== 'ready') {
        return new Error(`${name} is ${client.status}: ${last.message}`);
      }
      return err;
    },
  };
}
