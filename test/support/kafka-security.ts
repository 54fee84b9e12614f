/**
 * What a test needs for a Kafka listener that speaks only SASL_SSL and asks every client for a
 * certificate: a CA of its own, the brokers' certificate, SCRAM-SHA-512 users (the brokers' own
 * first), a client certificate, and the pipeline's settings to reach it.
 */
import type { BrokerSecurity } from '../../src/kafka/broker-security.js';
import { createTestCa, type TestCa } from './tls-certs.js';

/** The user the pipeline signs in as; named in the refusals the tests expect. */
export const ALERTS_USER = { name: 'login-alerts', password: 'alerts-pw-0123' };
const BROKER_USER = { name: 'broker-admin', password: 'broker-admin-pw' };

export interface SecureKafka {
  ca: TestCa;
  /** The listener: for startLocalBroker and startLocalCluster. */
  security: BrokerSecurity;
  /** The pipeline's Kafka settings for `brokers`: SASL_SSL as ALERTS_USER, with its client certificate. */
  env(brokers: string): Record<string, string>;
}

export function secureKafka(caName: string): SecureKafka {
  const ca = createTestCa(caName);
  const client = ca.issue('login-alerts', ['login-alerts']);
  return {
    ca,
    security: {
      ...ca.issue('kafka', ['127.0.0.1', 'localhost']),
      caFile: ca.caFile,
      users: [BROKER_USER, ALERTS_USER],
      clientAuth: true,
    },
    env: (brokers) => ({
      KAFKA_BROKERS: brokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca.caFile,
      KAFKA_SSL_CERT_FILE: client.certFile,
      KAFKA_SSL_KEY_FILE: client.keyFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: ALERTS_USER.name,
      KAFKA_SASL_PASSWORD: ALERTS_USER.password,
    }),
  };
}
