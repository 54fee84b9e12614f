/**
 * One connection to the brokers before anything else starts, without retries. A refusal that only the
 * settings can fix (a wrong password, a broker certificate nobody trusts, TLS on one side only) is
 * BAD_CONFIG naming Kafka and the variable to change, which the CLI turns into exit 2 at once; retrying
 * it would only hide the cause behind a minute of reconnects. A broker that does not answer at all is
 * left to the clients' own retries: it may be starting.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../config/config.js';
import { UNTRUSTED_CERT_CODES } from '../config/tls-trust.js';
import { AppError } from '../errors.js';
import { kafkaSecurity } from './client.js';

/** Why a connection attempt failed, as far as the error alone tells. */
export type ConnectFailure =
  | { kind: 'sasl'; detail: string }
  | { kind: 'untrusted'; detail: string }
  | { kind: 'name-mismatch'; detail: string }
  | { kind: 'tls-alert'; detail: string }
  /** The broker closed an established connection at the first request. */
  | { kind: 'closed'; detail: string }
  | { kind: 'unknown'; detail: string };

/** Every error in a kafkajs error's chain (retriers wrap the cause in `cause`). */
function chainOf(err: unknown): Error[] {
  const chain: Error[] = [];
  let e: unknown = err;
  while (e instanceof Error && !chain.includes(e) && chain.length < 10) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

/** Classifies a failed connection attempt from the error alone (pure). */
export function classifyConnectFailure(err: unknown): ConnectFailure {
  const chain = chainOf(err);
  const sasl = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl) return { kind: 'sasl', detail: sasl.message };
  for (const e of chain) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (UNTRUSTED_CERT_CODES.has(code)) return { kind: 'untrusted', detail: `${code}: ${e.message}` };
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { kind: 'name-mismatch', detail: e.message };
    // The code names the alert (…_ALERT_BAD_CERTIFICATE); the message is OpenSSL's multi-line dump.
    if (/^ERR_SSL_.*ALERT/.test(code)) return { kind: 'tls-alert', detail: code };
  }
  const closed = chain.find((e) => e.name === 'KafkaJSConnectionClosedError');
  if (closed) return { kind: 'closed', detail: closed.message };
  return { kind: 'unknown', detail: chain[0]?.message ?? String(err) };
}

/** The BAD_CONFIG line for a failure only settings can fix; undefined for the others. */
export function describeRefusal(
  failure: ConnectFailure,
  broker: string,
  kafka: Pick<Config['kafka'], 'sasl'>,
): string | undefined {
  switch (failure.kind) {
    case 'sasl':
      return `KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: Kafka at ${broker} refused the SASL ${kafka.sasl?.mechanism ?? ''} sign-in${kafka.sasl ? ` as "${kafka.sasl.username}"` : ''} (${failure.detail})`;
    case 'untrusted':
      return `KAFKA_SSL_CA_FILE: the TLS certificate of Kafka at ${broker} is not trusted (${failure.detail}); give the CA that signed it`;
    case 'name-mismatch':
      return `KAFKA_SSL_SERVERNAME: the TLS certificate of Kafka at ${broker} is for another name (${failure.detail})`;
    case 'tls-alert':
      return `KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: Kafka at ${broker} refused the TLS handshake (${failure.detail}); it may require a client certificate`;
    default:
      return undefined;
  }
}

/**
 * Connects once with the configured settings; throws BAD_CONFIG (naming Kafka and the variable) when
 * the brokers refuse them, returns otherwise (also when nothing answers yet).
 */
export async function checkKafkaAccess(config: Pick<Config, 'kafka'>, brokers?: string[]): Promise<void> {
  const list = brokers ?? config.kafka.brokers ?? [];
  if (list.length === 0) return;
  const failure = await tryConnect(config.kafka, list);
  if (failure === undefined) return;
  const broker = failure.broker ?? list[0]!;
  let problem = describeRefusal(failure.failure, broker, config.kafka);
  if (problem === undefined) problem = await probeTlsMismatch(config.kafka, broker);
  if (problem === undefined && failure.failure.kind === 'closed' && !config.kafka.sasl)
    problem = await probeSaslRequired(config.kafka, broker);
  if (problem !== undefined) throw new AppError('BAD_CONFIG', problem);
}

/**
 * A listener that requires SASL closes the connection of a client that sends a request before
 * signing in. A broker shutting down does too, once: only a second close in a row is reported.
 */
async function probeSaslRequired(kafka: Config['kafka'], broker: string): Promise<string | undefined> {
  await sleep(500);
  const again = await tryConnect(kafka, [broker]);
  return again?.failure.kind === 'closed'
    ? `KAFKA_SASL_MECHANISM: Kafka at ${broker} closed the connection at the first request; the listener may require SASL (set KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)`
    : undefined;
}

async function tryConnect(
  kafka: Config['kafka'],
  brokers: string[],
  override: { ssl?: false } = {},
): Promise<{ failure: ConnectFailure; broker: string | undefined } | undefined> {
  const admin = new Kafka({
    clientId: `${kafka.clientId}-access-check`,
    brokers,
    ...kafkaSecurity(kafka),
    ...override,
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    enforceRequestTimeout: true,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    // A metadata request: kafkajs signs in (SASL) only once a request needs it.
    await admin.describeCluster();
    return undefined;
  } catch (err) {
    const broker = chainOf(err)
      .map((e) => (e as { broker?: unknown }).broker)
      .find((b): b is string => typeof b === 'string');
    return { failure: classifyConnectFailure(err), broker };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A connection that fails without a reason may be TLS on one side only: a plaintext client whose
 * requests a TLS listener drops, or a TLS client whose handshake a plaintext listener drops. Asking
 * the other way round tells which.
 */
async function probeTlsMismatch(kafka: Config['kafka'], broker: string): Promise<string | undefined> {
  if (!kafka.ssl) {
    return (await speaksTls(broker))
      ? `KAFKA_SSL: Kafka at ${broker} speaks TLS and closed a plaintext connection; set KAFKA_SSL=true (and KAFKA_SSL_CA_FILE for a private CA)`
      : undefined;
  }
  const plain = await tryConnect({ ...kafka, sasl: undefined }, [broker], { ssl: false });
  return plain === undefined
    ? `KAFKA_SSL: Kafka at ${broker} does not speak TLS (a plaintext client is answered); check the port or set KAFKA_SSL=false`
    : undefined;
}

/** True when a TLS handshake with `broker` completes (its certificate unchecked: only the protocol is asked). */
function speaksTls(broker: string): Promise<boolean> {
  const i = broker.lastIndexOf(':');
  const host = broker.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(i + 1));
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: 3_000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
