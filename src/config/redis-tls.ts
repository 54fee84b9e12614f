import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import { boolFlag, optionalText } from './env-fields.js';
import { readPemCertificates, readPemPrivateKey } from './pem-files.js';

/**
 * How login-alerts reaches Redis securely, for one server (REDIS_URL) or a Cluster
 * (REDIS_CLUSTER_NODES): TLS with the CA that signed the servers' certificates (and a client
 * certificate when the servers ask for one), and an ACL user. The PEM files are read once, when the
 * configuration is parsed, so a file that is missing or not PEM stops the start with exit 2.
 */
export interface RedisSecurity {
  /** Undefined: plaintext. An empty object: TLS trusting the system's CAs. */
  tls: { ca: string | undefined; cert: string | undefined; key: string | undefined } | undefined;
  /** From REDIS_USERNAME/REDIS_PASSWORD; REDIS_URL may carry its own in the URL instead. */
  username: string | undefined;
  password: string | undefined;
}

/** A PEM file named by `variable`: its text, once checked to hold what `kind` says. */
function pemFile(variable: string, kind: 'certificate' | 'private key') {
  return optionalText.transform((path, ctx) => {
    if (path === undefined) return undefined;
    const read =
      kind === 'certificate' ? readPemCertificates(variable, path) : readPemPrivateKey(variable, path);
    if (!read.ok) {
      ctx.addIssue({ code: 'custom', message: read.why });
      return z.NEVER;
    }
    return read.value.pem;
  });
}

/** The variables of the Redis connection's security, added to the environment schema. */
export const redisSecurityFields = {
  REDIS_TLS: boolFlag,
  REDIS_TLS_CA_FILE: pemFile('REDIS_TLS_CA_FILE', 'certificate'),
  REDIS_TLS_CERT_FILE: pemFile('REDIS_TLS_CERT_FILE', 'certificate'),
  REDIS_TLS_KEY_FILE: pemFile('REDIS_TLS_KEY_FILE', 'private key'),
  REDIS_USERNAME: optionalText,
  REDIS_PASSWORD: optionalText,
};

type SecurityEnv = {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: unknown;
  REDIS_TLS: boolean;
  REDIS_TLS_CA_FILE?: string | undefined;
  REDIS_TLS_CERT_FILE?: string | undefined;
  REDIS_TLS_KEY_FILE?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
};

/**
 * Settings that contradict each other, one `[variable, why]` each. TLS settings on a plaintext
 * connection are refused rather than ignored: an operator who set a CA file believes the traffic is
 * encrypted.
 */
export function redisSecurityIssues(env: SecurityEnv): [string, string][] {
  const issues: [string, string][] = [];
  const url = env.REDIS_URL;
  const urlTls = url?.startsWith('rediss://') ?? false;
  if (url && env.REDIS_TLS && !urlTls) {
    issues.push([
      'REDIS_TLS',
      'REDIS_URL starts with redis://: use rediss:// for TLS (REDIS_TLS is for REDIS_CLUSTER_NODES)',
    ]);
  }
  const tls = urlTls || env.REDIS_TLS;
  for (const name of ['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const) {
    if (env[name] !== undefined && !tls) {
      issues.push([
        name,
        url
          ? 'set, but REDIS_URL is plaintext (redis://): use rediss://'
          : 'set, but TLS is off: set REDIS_TLS=true (with REDIS_CLUSTER_NODES) or use a rediss:// REDIS_URL',
      ]);
    }
  }
  if ((env.REDIS_TLS_CERT_FILE === undefined) !== (env.REDIS_TLS_KEY_FILE === undefined)) {
    issues.push([
      'REDIS_TLS_KEY_FILE',
      'a client certificate needs both REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE',
    ]);
  } else if (env.REDIS_TLS_CERT_FILE && env.REDIS_TLS_KEY_FILE) {
    try {
      createSecureContext({ cert: env.REDIS_TLS_CERT_FILE, key: env.REDIS_TLS_KEY_FILE });
    } catch {
      issues.push([
        'REDIS_TLS_KEY_FILE',
        'the key does not belong to the certificate in REDIS_TLS_CERT_FILE',
      ]);
    }
  }
  if (env.REDIS_USERNAME && !env.REDIS_PASSWORD) {
    issues.push(['REDIS_PASSWORD', 'REDIS_USERNAME is set: REDIS_PASSWORD is required']);
  }
  if (url && (env.REDIS_USERNAME || env.REDIS_PASSWORD) && urlHasCredentials(url)) {
    issues.push(['REDIS_PASSWORD', 'REDIS_URL carries credentials too: give them in one place']);
  }
  return issues;
}

function urlHasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** The connection's security from the parsed environment. */
export function redisSecurityOf(env: SecurityEnv): RedisSecurity {
  const tls = env.REDIS_TLS || (env.REDIS_URL?.startsWith('rediss://') ?? false);
  return {
    tls: tls
      ? { ca: env.REDIS_TLS_CA_FILE, cert: env.REDIS_TLS_CERT_FILE, key: env.REDIS_TLS_KEY_FILE }
      : undefined,
    username: env.REDIS_USERNAME,
    password: env.REDIS_PASSWORD,
  };
}

/** A Redis URL fit for a log line or a page: the password replaced by `***`, the user kept. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
