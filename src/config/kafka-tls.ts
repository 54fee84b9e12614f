/**
 * Kafka's TLS material from KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE + KAFKA_SSL_KEY_FILE (a client
 * certificate, for brokers that ask for one) and KAFKA_SSL_SERVERNAME. Read once at start; without a
 * CA file the system's trusted CAs verify the brokers.
 */
import { readPemCertificates, readPemPrivateKey } from './pem-files.js';

/** What every Kafka client's TLS connection is given besides host and port (tls.connect options). */
export interface KafkaTls {
  /** PEM CA certificates that verify the brokers; undefined: the system's trusted CAs. */
  ca: string | undefined;
  /** PEM client certificate chain and its key (mutual TLS); both or neither. Named so log masking redacts it. */
  cert: string | undefined;
  privateKey: string | undefined;
  /** The name the brokers' certificates are checked against (and sent as SNI) instead of each host. */
  servername: string | undefined;
}

export interface KafkaTlsEnv {
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SSL_CERT_FILE?: string | undefined;
  KAFKA_SSL_KEY_FILE?: string | undefined;
  KAFKA_SSL_SERVERNAME?: string | undefined;
}

/** The settings' problems as `NAME: why` lines; none when they fit together. Pure (no file is read). */
export function kafkaTlsSettingProblems(e: KafkaTlsEnv): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (Boolean(e.KAFKA_SSL_CERT_FILE) !== Boolean(e.KAFKA_SSL_KEY_FILE)) {
    const missing = e.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE';
    problems.push({
      path: missing,
      message: 'a Kafka client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    });
  }
  const tlsOnly = [
    'KAFKA_SSL_CA_FILE',
    'KAFKA_SSL_CERT_FILE',
    'KAFKA_SSL_KEY_FILE',
    'KAFKA_SSL_SERVERNAME',
  ] as const;
  const set = tlsOnly.filter((name) => e[name]);
  if (!e.KAFKA_SSL && set.length > 0) {
    problems.push({
      path: set[0]!,
      message: `${set.join(', ')} set but KAFKA_SSL is not true: set KAFKA_SSL=true`,
    });
  }
  return problems;
}

/** Reads the files the settings name; `problems` lists what cannot be used. */
export function readKafkaTls(e: KafkaTlsEnv): { tls: KafkaTls | undefined; problems: string[] } {
  if (!e.KAFKA_SSL) return { tls: undefined, problems: [] };
  const problems: string[] = [];
  const tls: KafkaTls = {
    ca: undefined,
    cert: undefined,
    privateKey: undefined,
    servername: e.KAFKA_SSL_SERVERNAME,
  };
  if (e.KAFKA_SSL_CA_FILE) {
    const ca = readPemCertificates('KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE);
    if (ca.ok) tls.ca = ca.value.pem;
    else problems.push(ca.problem);
  }
  if (e.KAFKA_SSL_CERT_FILE && e.KAFKA_SSL_KEY_FILE) {
    const cert = readPemCertificates('KAFKA_SSL_CERT_FILE', e.KAFKA_SSL_CERT_FILE);
    const key = readPemPrivateKey('KAFKA_SSL_KEY_FILE', e.KAFKA_SSL_KEY_FILE);
    if (!cert.ok) problems.push(cert.problem);
    if (!key.ok) problems.push(key.problem);
    if (cert.ok && key.ok) {
      if (cert.value.first.checkPrivateKey(key.value.key)) {
        tls.cert = cert.value.pem;
        tls.privateKey = key.value.pem;
      } else {
        problems.push(
          `KAFKA_SSL_KEY_FILE: ${e.KAFKA_SSL_KEY_FILE} is not the key of the first certificate in ${e.KAFKA_SSL_CERT_FILE}`,
        );
      }
    }
  }
  return { tls, problems };
}
