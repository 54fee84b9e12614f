import { createServer } from 'node:net';
import { loadConfig } from '../config/config.js';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../kafka/local-broker.js';
import { createLogger } from '../log/logger.js';
import { describeChannels } from '../runtime/channels.js';
import { startPipeline } from '../runtime/pipeline.js';
import { startSesInbox } from '../runtime/ses-inbox.js';
import { onShutdown } from './shutdown.js';

const INBOX_PORT = 8005;

/**
 * `login-alerts start`: the whole product on this machine. Kafka from KAFKA_BROKERS or a local
 * broker; state in memory unless REDIS_URL; a local email inbox unless SES is configured; the
 * outbox for SMS and push unless configured; every consumer and the HTTP server.
 */
export async function runStartCommand(args: string[]): Promise<number> {
  const started = Date.now();
  const say = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  const env = { ...process.env };
  loadConfig(env); // bad configuration stops us before anything starts
  let broker: LocalBroker | undefined;
  let inbox: Awaited<ReturnType<typeof startSesInbox>> | undefined;
  const cleanup = async () => {
    await inbox?.close().catch(() => {});
    await broker?.stop().catch(() => {});
  };
  try {
    if (!env.KAFKA_BROKERS) {
      say('starting a local Apache Kafka broker (first run downloads ~45 MB of jars through Maven)…');
      broker = await startLocalBroker({
        home: kafkaHomeFromEnv(env),
        onProgress: (line) => say(`  kafka: ${line}`),
      });
      env.KAFKA_BROKERS = broker.bootstrap;
    }
    if (!env.SES_ENDPOINT && !env.SES_REGION) {
      inbox = await startSesInbox((await isFree(INBOX_PORT)) ? INBOX_PORT : 0);
      env.SES_ENDPOINT = inbox.url;
      env.SES_REGION = 'us-east-1';
      env.SES_FROM ??= 'alerts@login-alerts.local';
      env.AWS_ACCESS_KEY_ID ??= 'local';
      env.AWS_SECRET_ACCESS_KEY ??= 'local';
    }
    const config = loadConfig(env);
    const log = createLogger(config.logLevel);
    const pipeline = await startPipeline(config, log, { onProgress: say });
    const channels = describeChannels(config);
    const rows: [string, string][] = [
      [
        'Kafka',
        `${config.kafka.brokers!.join(',')}${broker ? ` (local Apache Kafka ${broker.version})` : ''}`,
      ],
      ['State', config.redisUrl ? `Redis ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}` : 'in memory'],
      ['Dashboard', `${pipeline.httpUrl.replace('127.0.0.1', 'localhost')}/`],
      ['Email', inbox ? `local inbox ${inbox.url}/ (SES emulator)` : channels.email],
      ['SMS', channels.sms],
      ['Push', channels.push],
      ['Metrics', `${pipeline.httpUrl}/metrics`],
    ];
    say('ready');
    console.log('');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(10)} ${v}`);
    console.log('\n  Next: `npx login-alerts demo` in another terminal. Ctrl-C stops everything.\n');
    if (config.links.secretIsEphemeral)
      log.warn('ALERT_LINK_SECRET is not set: links signed now stop working after a restart');
    await onShutdown(async () => {
      say('stopping…');
      await pipeline.stop();
      await cleanup();
      say('stopped');
    });
    return 0;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}
