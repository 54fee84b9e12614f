import { createServer } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { type Config, LOCAL_OUTBOX_DIR, loadConfig } from '../config/config.js';
import { redactRedisUrl } from '../config/redis-tls.js';
import { AppError } from '../errors.js';
import { checkKafkaAccess } from '../kafka/access-check.js';
import { kafkaSecurity } from '../kafka/client.js';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../kafka/local-broker.js';
import { retryingKafka } from '../kafka/retrying.js';
import { ensureTopics } from '../kafka/topics.js';
import { createLogger } from '../observe/logger.js';
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
export async function runStartCommand(_args: string[]): Promise<number> {
  const started = Date.now();
  const say = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  const env = { ...process.env };
  loadConfig(env); // bad configuration stops us before anything starts
  // kafkajs prints a multi-line notice about its v2 partitioner on every producer: noise in a terminal.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
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
      // The AWS SDK's credential chain reads process.env, not our copy; the emulator accepts any key.
      // Without these every email fails with CredentialsProviderError and is retried until it expires.
      process.env.AWS_ACCESS_KEY_ID ??= 'local';
      process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
      // The SDK warns on Node 20 about its releases after January 2027; for a local inbox that is noise.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    }
    // Locally, a channel without a provider writes to ./outbox (in `run`, only when OUTBOX_DIR is set).
    env.OUTBOX_DIR ||= LOCAL_OUTBOX_DIR;
    const config = loadConfig(env);
    const log = createLogger(config.logLevel);
    await checkKafkaAccess(config);
    const created = await prepareKafka(config);
    if (created.length > 0) say(`created topics: ${created.join(', ')}`);
    const pipeline = await startPipeline(config, log, { onProgress: say, kafkaChecked: true });
    const channels = describeChannels(config);
    const rows: [string, string][] = [
      [
        'Kafka',
        `${config.kafka.brokers!.join(',')}${broker ? ` (local Apache Kafka ${broker.version})` : ''}`,
      ],
      ['State', stateLine(config)],
      ['Public', `${local(pipeline.httpUrl)} on ${config.httpHost}: link pages /r/…, /healthz, /readyz`],
      ['Dashboard', dashboardLine(pipeline.adminUrl, config)],
      ['Email', inbox ? `local inbox ${inbox.url}/ (SES emulator)` : channels.email],
      ['SMS', channels.sms],
      ['Push', channels.push],
      [
        'Metrics',
        `${pipeline.adminUrl}/metrics${config.admin.token ? ' (Authorization: Bearer <ADMIN_TOKEN>)' : ''}`,
      ],
    ];
    say('ready');
    console.log('');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(10)} ${v}`);
    console.log(
      `\n  Next, in another terminal: ${demoCommand(env, config, new URL(pipeline.adminUrl).port)}\n  Ctrl-C stops everything.\n`,
    );
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

/** The admin listener's dashboard address; with ADMIN_TOKEN, how a browser signs in (the token is not printed). */
function dashboardLine(adminUrl: string, config: Config): string {
  const on = `on ${config.admin.host} (admin listener`;
  return config.admin.token
    ? `${local(adminUrl)}/?token=<ADMIN_TOKEN> ${on}; the token is asked once, then a cookie)`
    : `${local(adminUrl)}/ ${on})`;
}

const local = (url: string) => url.replace('127.0.0.1', 'localhost');

/**
 * The demo command line, with the variables it needs to find this pipeline when they are not the
 * defaults. The demo reads the admin listener; ADMIN_TOKEN, when set, it takes from the environment.
 */
function demoCommand(env: Record<string, string | undefined>, config: Config, adminPort: string): string {
  const vars: string[] = [];
  const brokers = config.kafka.brokers?.join(',');
  if (brokers && brokers !== '127.0.0.1:9092') vars.push(`KAFKA_BROKERS=${brokers}`);
  if (adminPort !== '8081') vars.push(`ADMIN_PORT=${adminPort}`);
  if (config.ses?.endpoint && config.ses.endpoint !== `http://127.0.0.1:${INBOX_PORT}`) {
    vars.push(`SES_ENDPOINT=${config.ses.endpoint}`);
  }
  if (env.OUTBOX_DIR && env.OUTBOX_DIR !== LOCAL_OUTBOX_DIR) vars.push(`OUTBOX_DIR=${env.OUTBOX_DIR}`);
  // Topic names set for start must be set for demo too.
  for (const [k, v] of Object.entries(env)) if (k.startsWith('TOPIC_') && v) vars.push(`${k}=${v}`);
  return [...vars, 'npx login-alerts demo'].join(' ');
}

/**
 * Creates the topics and finds the group coordinator with a client that logs nothing. On a broker
 * that has just started, both take a few retries (leaders moving, __consumer_offsets being created),
 * and kafkajs logs each retry at error level: alarming lines in a terminal for a normal start.
 */
async function prepareKafka(config: Config): Promise<string[]> {
  const admin = new Kafka({
    clientId: `${config.kafka.clientId}-warm-up`,
    brokers: config.kafka.brokers ?? [],
    ...kafkaSecurity(config.kafka),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const created = await ensureTopics(admin, config.topics, config.kafka.replicationFactor);
    for (const topic of Object.values(config.topics))
      await retryingKafka(() => admin.fetchTopicOffsets(topic));
    await retryingKafka(() => admin.describeGroups([config.kafka.groupId]));
    return created;
  } catch (err) {
    throw new AppError(
      'KAFKA_UNAVAILABLE',
      `cannot prepare Kafka at ${config.kafka.brokers}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Where state lives, without the Redis password. */
function stateLine(config: Config): string {
  if (config.redisClusterNodes)
    return `Redis Cluster ${config.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return config.redisUrl ? `Redis ${redactRedisUrl(config.redisUrl)}` : 'in memory';
}
