/**
 * A SASL_SSL client listener for the local Kafka nodes: TLS with a PEM key and certificate the caller
 * made (openssl, or any CA), SCRAM-SHA-512 users created when the storage is formatted (KIP-900), the
 * controller listener left PLAINTEXT on loopback. Development and tests only: it lets a test prove what
 * production does against a broker that refuses anything else.
 */

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { AppError } from '../errors.js';

export interface ScramUser {
  name: string;
  password: string;
}

export interface BrokerSecurity {
  /** PEM files: the broker's private key (PKCS#8, unencrypted) and certificate chain, and the CA that signed it. */
  keyFile: string;
  certFile: string;
  caFile: string;
  /** SCRAM-SHA-512 users; the first is the one brokers (and the readiness probe) sign in as. */
  users: readonly ScramUser[];
  /**
   * Kafka's StandardAuthorizer: only ACLs allow, and the first user (and the controllers, which talk
   * PLAINTEXT as ANONYMOUS) are super users.
   */
  authorizer?: boolean;
  /**
   * Clients must also present a certificate signed by `caFile` (`ssl.client.auth=required`, mutual
   * TLS under SASL); the readiness probe and the other brokers present the broker's own.
   */
  clientAuth?: boolean;
}

/** SCRAM user names and passwords go into `--add-scram` and a JAAS line unquoted-safe: keep them plain. */
const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

export function checkSecurity(sec: BrokerSecurity): void {
  if (sec.users.length === 0)
    throw new AppError('BROKER_START_FAILED', 'a SASL_SSL listener needs a SCRAM user');
  for (const u of sec.users) {
    if (!SAFE.test(u.name) || !SAFE.test(u.password))
      throw new AppError(
        'BROKER_START_FAILED',
        `SCRAM user "${u.name}": names and passwords of the local broker are 1-64 letters, digits, '.', '_' or '-'`,
      );
  }
}

/** The StorageTool arguments that create the users at format time. */
export function scramFormatArgs(sec: BrokerSecurity | undefined): string[] {
  return (sec?.users ?? []).flatMap((u) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`,
  ]);
}

/** server.properties lines of the SASL_SSL listener; `keystoreFile` holds the key followed by the chain. */
export function securityProperties(sec: BrokerSecurity, keystoreFile: string): string[] {
  const broker = sec.users[0]!;
  const lines = [
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${broker.name}" password="${broker.password}";`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${keystoreFile}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${sec.caFile}`,
    // A SASL_SSL listener ignores the broker-wide ssl.client.auth: only its own prefixed one applies (KIP-684).
    `listener.name.sasl_ssl.ssl.client.auth=${sec.clientAuth ? 'required' : 'none'}`,
  ];
  if (sec.authorizer) {
    lines.push(
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      `super.users=User:${broker.name};User:ANONYMOUS`,
      'allow.everyone.if.no.acl.found=false',
    );
  }
  return lines;
}

/** Kafka's PEM keystore is one file: the private key, then the certificate chain. */
export async function writeKeystore(sec: BrokerSecurity, file: string): Promise<void> {
  const key = readFileSync(sec.keyFile, 'utf8').trim();
  const chain = readFileSync(sec.certFile, 'utf8').trim();
  await writeFile(file, `${key}\n${chain}\n`, { mode: 0o600 });
}

/** What a kafkajs client needs to sign in as the broker's first user (the readiness probe). */
export function probeSecurity(sec: BrokerSecurity): { ssl: ConnectionOptions; sasl: SASLOptions } {
  const user = sec.users[0]!;
  const ca = readFileSync(sec.caFile, 'utf8');
  const own = sec.clientAuth
    ? { key: readFileSync(sec.keyFile, 'utf8'), cert: readFileSync(sec.certFile, 'utf8') }
    : {};
  return {
    ssl: { ca, ...own, rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username: user.name, password: user.password },
  };
}
