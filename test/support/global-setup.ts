/**
 * Jest global setup: one real Kafka broker per test run, shared by every test (jest runs --runInBand, so
 * tests see the process.env.KAFKA_BROKERS set here). A KAFKA_BROKERS already set means "use that cluster".
 * The JVM is launched with a parent-death signal, so killing the test run leaves no broker behind.
 */
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import type { LocalBroker } from '../../src/kafka/local-broker.js';

type BrokerModule = typeof import('../../src/kafka/local-broker.js');

/**
 * Jest loads this file through its CommonJS require hook and without moduleNameMapper, so a static import
 * of src/ (`.js` specifiers that name .ts files) cannot resolve; tsx's require can. (tsx's ESM tsImport
 * would be closer, but its CommonJS build looks for its loader in the wrong folder in tsx 4.23.)
 */
function loadBrokerModule(rootDir: string): BrokerModule {
  return tsxRequire('./src/kafka/local-broker.ts', join(rootDir, 'package.json')) as BrokerModule;
}

declare global {
  var __LOGIN_ALERTS_BROKER__: LocalBroker | undefined;
}

export default async function globalSetup(
  _globalConfig: unknown,
  projectConfig: { rootDir: string },
): Promise<void> {
  // Tests that start bin/login-alerts.js run the compiled dist/: build it when a source is newer.
  execFileSync(process.execPath, [join(projectConfig.rootDir, 'scripts/build.mjs'), '--if-stale'], {
    stdio: 'inherit',
  });
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) {
    process.stderr.write(`\n[test harness] using KAFKA_BROKERS=${given}\n`);
  } else {
    const started = Date.now();
    const { kafkaHomeFromEnv, startLocalBroker } = loadBrokerModule(projectConfig.rootDir);
    const broker = await startLocalBroker({
      // Not 9092: a developer's `login-alerts kafka` or `start` may hold it, and tests want a fresh broker.
      port: 0,
      home: kafkaHomeFromEnv(process.env),
      onProgress: (line) => process.stderr.write(`[test harness] ${line}\n`),
    });
    globalThis.__LOGIN_ALERTS_BROKER__ = broker;
    process.env.KAFKA_BROKERS = broker.bootstrap;
    process.stderr.write(
      `[test harness] Kafka ${broker.version} at ${broker.bootstrap} (pid ${broker.pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  await warnIfRedisIsDown(process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379');
}

/** Redis is started by npm test's set-up (scripts/test-prerequisites.sh), not here; say clearly when it is missing so Redis tests' failures make sense. */
async function warnIfRedisIsDown(url: string): Promise<void> {
  let host = '127.0.0.1';
  let port = 6379;
  try {
    const parsed = new URL(url);
    host = parsed.hostname.replace(/^\[|\]$/g, '') || host;
    port = parsed.port ? Number(parsed.port) : port;
  } catch {
    process.stderr.write(`[test harness] WARNING: REDIS_URL=${url} is not a URL; Redis tests will fail\n`);
    return;
  }
  const answer = await new Promise<string>((resolve) => {
    const socket = createConnection({ host, port });
    let data = '';
    const done = (result: string) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done('timeout'));
    socket.once('error', (err) => done(err.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) done(data.trim());
    });
  });
  // +PONG, or an auth error, both mean a Redis is there.
  if (!answer.startsWith('+PONG') && !answer.startsWith('-NOAUTH') && !answer.startsWith('-WRONGPASS')) {
    process.stderr.write(
      `[test harness] WARNING: nothing answers as Redis at ${host}:${port} (${answer}). ` +
        'Tests that need Redis will fail; start one (npm test does) or set REDIS_URL.\n',
    );
  }
}
