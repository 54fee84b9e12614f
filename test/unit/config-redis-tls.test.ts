/** The Redis TLS and ACL settings: PEM files read once and checked, contradictions refused (exit 2). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { redactRedisUrl } from '../../src/config/redis-tls.js';
import { AppError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'config-redis-tls-'));
const at = (name: string) => join(dir, name);
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];
execFileSync(
  'openssl',
  ['req', '-x509', ...ec, '-keyout', at('a.key'), '-out', at('a.crt'), '-subj', '/CN=a'],
  {
    stdio: 'pipe',
  },
);
execFileSync(
  'openssl',
  ['req', '-x509', ...ec, '-keyout', at('b.key'), '-out', at('b.crt'), '-subj', '/CN=b'],
  {
    stdio: 'pipe',
  },
);
writeFileSync(at('junk.pem'), 'not a certificate\n');
writeFileSync(at('broken.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The BAD_CONFIG lines `env` produces (none: the config loaded). */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'BAD_CONFIG') throw err;
    return err.message.split('\n');
  }
}

const TLS_URL = 'rediss://login-alerts:s3cret@redis.internal:6380';

describe('Redis TLS and ACL settings', () => {
  it('reads the CA, certificate and key once into the configuration', () => {
    const config = loadConfig({
      REDIS_URL: TLS_URL,
      REDIS_TLS_CA_FILE: at('a.crt'),
      REDIS_TLS_CERT_FILE: at('b.crt'),
      REDIS_TLS_KEY_FILE: at('b.key'),
    });
    expect(config.redisSecurity.tls).toEqual({
      ca: readFileSync(at('a.crt'), 'utf8').trim(),
      cert: readFileSync(at('b.crt'), 'utf8').trim(),
      key: readFileSync(at('b.key'), 'utf8'),
    });
  });

  it('turns TLS on for rediss:// and for REDIS_TLS with a Cluster, and leaves redis:// plaintext', () => {
    expect(loadConfig({ REDIS_URL: TLS_URL }).redisSecurity.tls).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
    });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisSecurity.tls).toBeUndefined();
    const cluster = loadConfig({
      REDIS_CLUSTER_NODES: 'r1:6380,r2:6380',
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: at('a.crt'),
      REDIS_USERNAME: 'login-alerts',
      REDIS_PASSWORD: 'pw',
    });
    expect(cluster.redisSecurity).toMatchObject({
      tls: { ca: readFileSync(at('a.crt'), 'utf8').trim() },
      username: 'login-alerts',
      password: 'pw',
    });
  });

  it('names the variable of a missing, unreadable or non-PEM file', () => {
    expect(problems({ REDIS_URL: TLS_URL, REDIS_TLS_CA_FILE: at('absent.crt') })).toEqual([
      `REDIS_TLS_CA_FILE: cannot read ${at('absent.crt')} (ENOENT)`,
    ]);
    expect(problems({ REDIS_URL: TLS_URL, REDIS_TLS_CA_FILE: dir })).toEqual([
      `REDIS_TLS_CA_FILE: cannot read ${dir} (EISDIR)`,
    ]);
    expect(problems({ REDIS_URL: TLS_URL, REDIS_TLS_CA_FILE: at('junk.pem') })[0]).toMatch(
      /^REDIS_TLS_CA_FILE: .*junk\.pem holds no PEM certificate/,
    );
    expect(problems({ REDIS_URL: TLS_URL, REDIS_TLS_CA_FILE: at('broken.crt') })[0]).toMatch(
      /^REDIS_TLS_CA_FILE: certificate 1 in .* is not a valid X\.509 certificate/,
    );
    // A certificate where the key belongs: the message names what was expected, not the file's bytes.
    const wrongKey = problems({
      REDIS_URL: TLS_URL,
      REDIS_TLS_CERT_FILE: at('b.crt'),
      REDIS_TLS_KEY_FILE: at('b.crt'),
    });
    expect(wrongKey[0]).toMatch(/^REDIS_TLS_KEY_FILE: .*b\.crt holds no PEM private key/);
    expect(wrongKey.join('\n')).not.toContain(readFileSync(at('b.crt'), 'utf8').split('\n')[1]);
  });

  it('refuses a client certificate without its key, or with another key', () => {
    expect(problems({ REDIS_URL: TLS_URL, REDIS_TLS_CERT_FILE: at('b.crt') })).toEqual([
      'REDIS_TLS_KEY_FILE: a client certificate needs both REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE',
    ]);
    expect(
      problems({ REDIS_URL: TLS_URL, REDIS_TLS_CERT_FILE: at('b.crt'), REDIS_TLS_KEY_FILE: at('a.key') }),
    ).toEqual(['REDIS_TLS_KEY_FILE: the key does not belong to the certificate in REDIS_TLS_CERT_FILE']);
  });

  it('refuses TLS settings on a plaintext connection instead of ignoring them', () => {
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_TLS_CA_FILE: at('a.crt') })).toEqual([
      'REDIS_TLS_CA_FILE: set, but REDIS_URL is plaintext (redis://): use rediss://',
    ]);
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_TLS: 'true' })[0]).toMatch(
      /^REDIS_TLS: REDIS_URL starts with redis:\/\/: use rediss:\/\//,
    );
    expect(problems({ REDIS_CLUSTER_NODES: 'r1:6380', REDIS_TLS_CA_FILE: at('a.crt') })[0]).toMatch(
      /^REDIS_TLS_CA_FILE: set, but TLS is off: set REDIS_TLS=true/,
    );
  });

  it('wants credentials in one place, and a password with a user', () => {
    expect(problems({ REDIS_URL: TLS_URL, REDIS_PASSWORD: 'other' })).toEqual([
      'REDIS_PASSWORD: REDIS_URL carries credentials too: give them in one place',
    ]);
    expect(problems({ REDIS_URL: 'rediss://r:6380', REDIS_USERNAME: 'u' })).toEqual([
      'REDIS_PASSWORD: REDIS_USERNAME is set: REDIS_PASSWORD is required',
    ]);
  });

  it('never shows a password in a configuration error', () => {
    const lines = problems({ REDIS_URL: TLS_URL, REDIS_PASSWORD: 'pw-7f3a9' });
    expect(lines).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/s3cret|pw-7f3a9/);
  });

  it('redacts the password of a Redis URL and keeps the user', () => {
    expect(redactRedisUrl(TLS_URL)).toBe('rediss://login-alerts:***@redis.internal:6380');
    expect(redactRedisUrl('rediss://:only-pw@r:6380/2')).toBe('rediss://:***@r:6380/2');
    expect(redactRedisUrl('redis://r:6379')).toBe('redis://r:6379');
  });
});
