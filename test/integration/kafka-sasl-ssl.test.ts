/**
 * The pipeline against a broker that speaks only SASL_SSL (SCRAM-SHA-512, a CA this test made) and
 * asks every client for a certificate from that CA (mutual TLS): it alerts end to end; a wrong
 * password, an untrusted broker certificate, a missing or foreign client certificate and a plaintext
 * client each stop the start at once with BAD_CONFIG naming Kafka (exit 2 from the CLI); events
 * published meanwhile are alerted once the right settings return. The broker is this test's own,
 * beside the global one.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import type { AppError } from '../../src/errors.js';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../../src/kafka/local-broker.js';
import { silentLogger } from '../../src/observe/logger.js';
import { type RunningPipeline, startPipeline } from '../../src/runtime/pipeline.js';
import { keys } from '../../src/state/keys.js';
import { until } from '../support/delivery-kit.js';
import { uniqueName } from '../support/env.js';
import { profile, signIn } from '../support/events.js';
import { ALERTS_USER, type SecureKafka, secureKafka } from '../support/kafka-security.js';
import { outboxLines } from '../support/outbox-lines.js';
import { testEnv } from '../support/pipeline-harness.js';
import { createTestCa, type TestCa } from '../support/tls-certs.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;

let secure: SecureKafka;
let otherCa: TestCa;
let broker: LocalBroker;
/** The pipeline's environment with the right settings: private topics, group and outbox, Redis state. */
let env: Record<string, string>;

beforeAll(async () => {
  secure = secureKafka('login-alerts-test-ca');
  otherCa = createTestCa('some-other-ca');
  broker = await startLocalBroker({
    port: 0,
    home: kafkaHomeFromEnv(process.env),
    heap: '256m',
    security: secure.security,
  });
  env = testEnv('redis', secure.env(broker.bootstrap));
}, 180_000);

afterAll(async () => {
  await broker?.stop();
  secure?.ca.remove();
  otherCa?.remove();
});

const start = (overrides: Record<string, string | undefined> = {}) => {
  const merged: Record<string, string> = { ...env };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return startPipeline(loadConfig(merged), silentLogger(), { onProgress: () => {} });
};

/** The start's error: BAD_CONFIG, and how long it took to say so. */
async function refusedStart(overrides: Record<string, string | undefined>): Promise<AppError> {
  const started = Date.now();
  const err = await start(overrides).then(
    async (p) => {
      await p.stop();
      throw new Error(`expected the start with ${JSON.stringify(overrides)} to be refused`);
    },
    (e: AppError) => e,
  );
  console.log(`refused in ${Date.now() - started} ms: ${err.message}`);
  expect(err.code).toBe('BAD_CONFIG');
  return err;
}

/** The CLI with `args` and the given environment: its exit code and stderr. */
function cli(
  args: string[],
  extra: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, ...extra },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const newLoginEmails = async (account: string) =>
  (await outboxLines<{ account_id: string; kind: string; alert_id: string }>(env.OUTBOX_DIR!)).filter(
    (m) => m.account_id === account && m.kind === 'new_login',
  );

describe('Kafka over SASL_SSL (SCRAM-SHA-512) with client certificates', () => {
  const account = uniqueName('acct');
  let pipeline: RunningPipeline | undefined;
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('runs the pipeline end to end through a SASL_SSL-only broker: a sign-in becomes an alert email', async () => {
    pipeline = await start();
    const { publisher, store } = pipeline.services;
    await publisher.publish([{ topic: env.TOPIC_ACCOUNT_SECURITY!, key: account, value: profile(account) }]);
    await until(
      'the profile to be applied',
      async () => (await store.read([keys.profile(account)]))[0],
      30_000,
    );
    await publisher.publish([{ topic: env.TOPIC_AUTH_EVENTS!, key: account, value: signIn(account) }]);
    await until(
      'the alert email in the outbox',
      async () => (await newLoginEmails(account)).length === 1,
      30_000,
    );
    await pipeline.stop();
    pipeline = undefined;
  }, 120_000);

  it('refuses a wrong password, an untrusted broker certificate, a missing or foreign client certificate and a plaintext client at start, naming Kafka and the setting', async () => {
    const wrong = await refusedStart({ KAFKA_SASL_PASSWORD: 'not-the-password' });
    expect(wrong.message).toMatch(
      new RegExp(
        `^KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: Kafka at ${broker.bootstrap} refused the SASL scram-sha-512 sign-in as "${ALERTS_USER.name}"`,
      ),
    );
    expect(wrong.message).not.toContain('not-the-password');

    const untrusted = await refusedStart({ KAFKA_SSL_CA_FILE: otherCa.caFile });
    expect(untrusted.message).toMatch(
      new RegExp(`^KAFKA_SSL_CA_FILE: the TLS certificate of Kafka at ${broker.bootstrap} is not trusted`),
    );

    const clientAuthRefusal = new RegExp(
      `^KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: Kafka at ${broker.bootstrap} refused the TLS handshake .*it may require a client certificate`,
    );
    const noCert = await refusedStart({ KAFKA_SSL_CERT_FILE: undefined, KAFKA_SSL_KEY_FILE: undefined });
    expect(noCert.message).toMatch(clientAuthRefusal);
    const foreign = otherCa.issue('intruder', ['intruder']);
    const foreignCert = await refusedStart({
      KAFKA_SSL_CERT_FILE: foreign.certFile,
      KAFKA_SSL_KEY_FILE: foreign.keyFile,
    });
    expect(foreignCert.message).toMatch(clientAuthRefusal);

    const plaintext = await refusedStart({
      KAFKA_SSL: undefined,
      KAFKA_SSL_CA_FILE: undefined,
      KAFKA_SSL_CERT_FILE: undefined,
      KAFKA_SSL_KEY_FILE: undefined,
    });
    expect(plaintext.message).toMatch(new RegExp(`^KAFKA_SSL: Kafka at ${broker.bootstrap} speaks TLS`));

    // The same refusal through the CLI is exit 2 with the reason on stderr.
    const run = await cli(['run'], {
      ...env,
      KAFKA_SSL: 'false',
      KAFKA_SSL_CA_FILE: '',
      KAFKA_SSL_CERT_FILE: '',
      KAFKA_SSL_KEY_FILE: '',
      PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('login-alerts run: bad configuration');
    expect(run.stderr).toMatch(/KAFKA_SSL: Kafka at 127\.0\.0\.1:\d+ speaks TLS/);
  }, 60_000);

  it('alerts the sign-ins published while it was refused, once the right settings return', async () => {
    // Published through the CLI with the right settings while the pipeline cannot start.
    const missed = [signIn(account), signIn(account)];
    const file = join(env.OUTBOX_DIR!, 'missed.jsonl');
    writeFileSync(file, `${missed.map((e) => JSON.stringify(e)).join('\n')}\n`);
    await refusedStart({ KAFKA_SASL_PASSWORD: 'still-wrong' });
    const published = await cli(['publish', file], env);
    expect(published).toEqual({ code: 0, stderr: '' });

    pipeline = await start();
    const emails = await until(
      'alerts for both sign-ins',
      async () => {
        const mine = await newLoginEmails(account);
        return mine.length >= 3 && mine;
      },
      40_000,
    );
    expect(emails).toHaveLength(3);
  }, 150_000);
});
