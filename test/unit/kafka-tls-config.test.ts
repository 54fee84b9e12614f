/** Kafka's TLS settings: files read once at start, every problem a BAD_CONFIG line naming the variable. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { classifyConnectFailure, describeRefusal } from '../../src/kafka/access-check.js';
import { nodeProperties } from '../../src/kafka/broker-config.js';
import { checkSecurity, scramFormatArgs, securityProperties } from '../../src/kafka/broker-security.js';
import { kafkaSecurity } from '../../src/kafka/client.js';
import { createTestCa, type TestCa } from '../support/tls-certs.js';

let ca: TestCa;
let client: { certFile: string; keyFile: string };
let other: { certFile: string; keyFile: string };
beforeAll(() => {
  ca = createTestCa('unit-ca');
  client = ca.issue('client', ['localhost']);
  other = ca.issue('other', ['localhost']);
});
afterAll(() => ca.remove());

function refused(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_CONFIG');
    return (err as AppError).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('Kafka TLS configuration', () => {
  it('reads the CA, the client certificate and key once, into the TLS options of every client', () => {
    const config = loadConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca.caFile,
      KAFKA_SSL_CERT_FILE: client.certFile,
      KAFKA_SSL_KEY_FILE: client.keyFile,
      KAFKA_SSL_SERVERNAME: 'kafka.internal',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'alerts',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    const { ssl, sasl } = kafkaSecurity(config.kafka);
    expect(ssl).toMatchObject({ rejectUnauthorized: true, servername: 'kafka.internal' });
    expect(ssl && String(ssl.ca)).toContain('-----BEGIN CERTIFICATE-----');
    expect(ssl && String(ssl.key)).toContain('PRIVATE KEY');
    // kafkajs writes into the SASL options it gets: a copy, not the frozen config.
    expect(sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alerts', password: 'pw' });
    expect(Object.isFrozen(sasl)).toBe(false);
  });

  it('passes no TLS option that was not set (kafkajs then sends each broker its own name)', () => {
    const { ssl } = kafkaSecurity(loadConfig({ KAFKA_SSL: 'true' }).kafka);
    expect(ssl).toEqual({ rejectUnauthorized: true });
    expect(kafkaSecurity(loadConfig({}).kafka)).toEqual({ ssl: false });
  });

  it('refuses a certificate without its key and a key without its certificate', () => {
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: client.certFile })).toMatch(
      /^KAFKA_SSL_KEY_FILE: /m,
    );
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: client.keyFile })).toMatch(
      /^KAFKA_SSL_CERT_FILE: /m,
    );
  });

  it('refuses TLS files while KAFKA_SSL is off', () => {
    expect(refused({ KAFKA_SSL_CA_FILE: ca.caFile })).toMatch(/^KAFKA_SSL_CA_FILE: .*set KAFKA_SSL=true/m);
  });

  it('names the variable and the file that cannot be read or is not PEM', () => {
    const missing = join(ca.dir, 'missing.pem');
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing })).toBe(
      `KAFKA_SSL_CA_FILE: cannot read ${missing} (ENOENT)`,
    );
    const junk = join(ca.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: junk })).toMatch(
      /^KAFKA_SSL_CA_FILE: .* holds no PEM certificate/,
    );
    const broken = join(ca.dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: broken })).toMatch(
      /certificate 1 in .* is not a valid X\.509/,
    );
    expect(
      refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: client.certFile, KAFKA_SSL_KEY_FILE: junk }),
    ).toMatch(/^KAFKA_SSL_KEY_FILE: .* holds no PEM private key/);
    const unreadable = join(ca.dir, 'unreadable.key');
    writeFileSync(unreadable, 'x');
    chmodSync(unreadable, 0o000);
    if (process.getuid?.() !== 0) {
      expect(
        refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: client.certFile, KAFKA_SSL_KEY_FILE: unreadable }),
      ).toBe(`KAFKA_SSL_KEY_FILE: cannot read ${unreadable} (EACCES)`);
    }
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(
      refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: client.certFile, KAFKA_SSL_KEY_FILE: other.keyFile }),
    ).toMatch(/^KAFKA_SSL_KEY_FILE: .* is not the key of the first certificate/);
  });
});

describe('a refused Kafka connection', () => {
  const sasl = { mechanism: 'scram-sha-512' as const, username: 'alerts', password: 'secret-pw' };
  const wrap = (inner: Error) =>
    Object.assign(new Error('wrapped'), { name: 'KafkaJSNonRetriableError', cause: inner });

  it('names the SASL settings for a failed sign-in, never the password', () => {
    const err = wrap(
      Object.assign(new Error('SASL SCRAM SHA512 authentication failed: invalid credentials'), {
        name: 'KafkaJSSASLAuthenticationError',
      }),
    );
    const line = describeRefusal(classifyConnectFailure(err), '127.0.0.1:1', { sasl });
    expect(line).toMatch(
      /^KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: Kafka at 127\.0\.0\.1:1 refused .* as "alerts"/,
    );
    expect(line).not.toContain('secret-pw');
  });

  it('names the CA file for an untrusted certificate, the server name for another name', () => {
    const untrusted = wrap(
      Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
    );
    expect(describeRefusal(classifyConnectFailure(untrusted), 'k:9093', { sasl: undefined })).toMatch(
      /^KAFKA_SSL_CA_FILE: the TLS certificate of Kafka at k:9093 is not trusted/,
    );
    const name = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(describeRefusal(classifyConnectFailure(name), 'k:9093', { sasl: undefined })).toMatch(
      /^KAFKA_SSL_SERVERNAME: /,
    );
  });

  it('leaves a broker that does not answer to the retries', () => {
    const refusedConn = Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      code: 'ECONNREFUSED',
    });
    const failure = classifyConnectFailure(wrap(refusedConn));
    expect(failure.kind).toBe('unknown');
    expect(describeRefusal(failure, 'k:9093', { sasl })).toBeUndefined();
  });
});

describe('the local broker SASL_SSL listener', () => {
  const security = {
    keyFile: '/k.key',
    certFile: '/k.pem',
    caFile: '/ca.pem',
    users: [
      { name: 'broker-admin', password: 'pw-1' },
      { name: 'alerts', password: 'pw-2' },
    ],
  };

  it('puts SASL_SSL alone on the client port and the controllers on PLAINTEXT', () => {
    const secure = {
      properties: securityProperties({ ...security, authorizer: true }, '/data/keystore.pem'),
    };
    const self = { nodeId: 1, port: 9093, controllerPort: 9100 };
    const only = nodeProperties(self, [self], '/data', secure);
    expect(only).toContain('listeners=SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9100\n');
    expect(only).toContain('advertised.listeners=SASL_SSL://127.0.0.1:9093\n');
    expect(only).toContain('inter.broker.listener.name=SASL_SSL\n');
    expect(only).toContain('ssl.keystore.location=/data/keystore.pem\n');
    expect(only).toContain('ssl.truststore.location=/ca.pem\n');
    expect(only).toContain('username="broker-admin" password="pw-1";\n');
    expect(only).toContain('super.users=User:broker-admin;User:ANONYMOUS\n');
    expect(nodeProperties(self, [self], '/data')).toContain(
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n',
    );
  });

  it('creates every user at format time and refuses names that would break the StorageTool or JAAS syntax', () => {
    expect(scramFormatArgs(security)).toEqual([
      '--add-scram',
      'SCRAM-SHA-512=[name=broker-admin,password=pw-1]',
      '--add-scram',
      'SCRAM-SHA-512=[name=alerts,password=pw-2]',
    ]);
    expect(scramFormatArgs(undefined)).toEqual([]);
    expect(() => checkSecurity({ ...security, users: [{ name: 'a', password: 'p",x]' }] })).toThrow(
      /letters, digits/,
    );
    expect(() => checkSecurity({ ...security, users: [] })).toThrow(/needs a SCRAM user/);
  });
});
