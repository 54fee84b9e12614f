/**
 * A private CA and certificates it signs, made with the openssl CLI into a temp folder: for TLS
 * listeners (Kafka's SASL_SSL) that tests start. Keys are unencrypted PKCS#8, certificates PEM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  caFile: string;
  caKeyFile: string;
  /** Signs a certificate for `names` (IP addresses and DNS names); returns its PEM files. */
  issue(name: string, names: readonly string[]): { certFile: string; keyFile: string };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (the tests need the openssl CLI): ${(err as Error).message}`);
  }
}

/** A new CA called `cn`, valid for two days. */
export function createTestCa(cn: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'login-alerts-ca-'));
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca.key');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      caKeyFile,
      '-out',
      caFile,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  return {
    dir,
    caFile,
    caKeyFile,
    issue(name, names) {
      const keyFile = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(
        ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          caFile,
          '-CAkey',
          caKeyFile,
          '-CAcreateserial',
          '-out',
          certFile,
          '-days',
          '2',
          '-extfile',
          ext,
        ],
        dir,
      );
      return { certFile, keyFile };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
