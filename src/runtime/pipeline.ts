import type https from 'node:https';
import { startAccountSecurity } from '../../consumers/account-security.js';
import { startAlertFeed } from '../../consumers/alert-feed.js';
import type { SignalsParts } from '../../consumers/deps.js';
import { openChannels, startDispatchers } from '../../consumers/dispatch.js';
import { startEnrolledDirectory } from '../../consumers/enrolled-directory.js';
import { startLoginEvents } from '../../consumers/login-events.js';
import { startRespond } from '../../consumers/respond.js';
import { startSharedSignals } from '../../consumers/shared-signals.js';
import type { Channel, ChannelName } from '../channels/channel.js';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import { ingestRoutes } from '../http/ingest.js';
import { createReportLinkHandler } from '../http/report-link.js';
import { startHttpServers } from '../http/server.js';
import type { RunningConsumer } from '../kafka/consumer-loop.js';
import { createDeadLetters } from '../kafka/dlq.js';
import { startTogether } from '../kafka/start-together.js';
import { ensureTopics } from '../kafka/topics.js';
import type { Logger } from '../observe/logger.js';
import { buildServices, type Services } from './services.js';
import { buildSharedSignals, sharedSignalsPlugin } from './shared-signals.js';
import { warmUp } from './warm-up.js';

export const CONSUMER_NAMES = [
  'account-security',
  'login-events',
  'dispatch',
  'alert-feed',
  'respond',
  'shared-signals',
] as const;
export type ConsumerName = (typeof CONSUMER_NAMES)[number];

export interface RunningPipeline {
  services: Services;
  /** The public listener: link pages, /healthz, /readyz (status only). */
  httpUrl: string;
  /** The admin listener: dashboard, /api/*, /metrics, /readyz with details. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Builds the services, creates the topics, and starts the consumers and the HTTP server. */
export async function startPipeline(
  config: Config,
  log: Logger,
  opts: {
    only?: ConsumerName[];
    onProgress?: (line: string) => void;
    /** Replaces the configured channel of these names (tests: providers with a private CA). */
    channels?: Partial<Record<ChannelName, Channel>>;
    /** The caller has already checked that the brokers accept these settings (`start` does, before topics). */
    kafkaChecked?: boolean;
    /** tests: the agent Shared Signals pushes use (one that trusts a local receiver's CA). */
    signalsAgent?: https.Agent;
  } = {},
): Promise<RunningPipeline> {
  const wants = (name: ConsumerName) => !opts.only || opts.only.includes(name);
  const progress = opts.onProgress ?? ((line: string) => log.info(line));
  const services = await buildServices(config, log, {
    channels: opts.channels,
    kafkaChecked: opts.kafkaChecked,
  }).catch((err: unknown) => {
    throw startError(err, config);
  });
  const running: RunningConsumer[] = [];
  let signals: SignalsParts | undefined;
  try {
    await createTopics(services, progress);
    await startConsumers(services, wants, progress, running);
    if (wants('shared-signals')) {
      signals = await buildSharedSignals(services, { agent: opts.signalsAgent });
      if (signals) running.push(await startSharedSignals(services, signals));
    }
  } catch (err) {
    await signals?.push.stop();
    await Promise.allSettled(running.map((r) => r.stop()));
    await services.close();
    throw startError(err, config);
  }
  const http = await startHttpServers({
    public: { host: config.httpHost, port: config.httpPort, trustProxyHops: config.trustProxyHops },
    admin: config.admin,
    health: services.health,
    metrics: services.metrics,
    log,
    feed: services.feed,
    outcomes: services.outcomes,
    reportLink: createReportLinkHandler({
      store: services.store,
      publisher: services.publisher,
      topics: config.topics,
      secret: config.links.secret,
      settingsUrl: `${config.links.publicBaseUrl}/settings`,
      log,
    }),
    vapidPublicKey: config.vapid?.publicKey,
    publicPlugins: [...ingestPlugins(services), ...(signals ? [sharedSignalsPlugin(services, signals)] : [])],
  }).catch(async (err: unknown) => {
    await signals?.push.stop();
    await Promise.allSettled(running.map((r) => r.stop()));
    await services.close();
    throw startError(err, config);
  });
  return {
    services,
    httpUrl: http.publicUrl,
    adminUrl: http.adminUrl,
    async stop() {
      // Consumers first: each finishes and commits the chunk in flight before leaving its group.
      await signals?.push.stop();
      await Promise.allSettled(running.map((r) => r.stop()));
      await http.close();
      await services.close();
    },
  };
}

async function createTopics(services: Services, progress: (line: string) => void): Promise<void> {
  const { config } = services;
  const admin = services.kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, config.topics, config.kafka.replicationFactor);
    if (created.length > 0) progress(`created topics: ${created.join(', ')}`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts the wanted consumers into `running`, in the order that keeps decisions right: the profile
 * view and the enrolled directory caught up, the code warm, then the groups that act on events (all
 * at once).
 */
async function startConsumers(
  services: Services,
  wants: (name: ConsumerName) => boolean,
  progress: (line: string) => void,
  running: RunningConsumer[],
): Promise<void> {
  if (wants('account-security')) {
    const profiles = await startAccountSecurity(services);
    running.push(profiles.running);
    progress('catching up on account.security…');
    await profiles.caughtUp;
    progress('account profiles caught up');
  }
  if (wants('login-events')) {
    const directory = await startEnrolledDirectory(services);
    running.push(directory.running);
    await directory.caughtUp;
    progress(`enrolled accounts: ${services.directory.size}`);
  }
  if (wants('login-events') || wants('dispatch')) {
    const warm = await warmUp(services);
    progress(`warmed up on ${warm.events} synthetic events in ${Math.round(warm.ms)} ms`);
  }
  // The groups that act on events join together (none depends on another having joined), once the
  // channels are known to work: a channel that cannot fails the start before any of them joins.
  if (wants('dispatch')) await openChannels(services);
  const acting = [
    wants('login-events') && (() => startLoginEvents(services)),
    wants('dispatch') && (() => startDispatchers(services)),
    wants('alert-feed') && (() => startAlertFeed(services)),
    wants('respond') && (() => startRespond(services)),
  ];
  running.push(...(await startTogether(acting.filter((start) => start !== false))));
}

/** The IdP webhooks whose tokens are set (none: no `/ingest/…` route exists, 404). */
function ingestPlugins(services: Services) {
  const { config, publisher, log, metrics } = services;
  const { auth0Token, oktaToken } = config.ingest;
  if (!auth0Token && !oktaToken) return [];
  const dead = createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics });
  return [
    ingestRoutes({
      tokens: { auth0: auth0Token, okta: oktaToken },
      topic: config.topics.authEvents,
      dead,
      metrics,
      log: log.child({ part: 'ingest' }),
    }),
  ];
}

/** What failed at start, with a stable code: kafkajs's own errors name the brokers it could not use. */
export function startError(err: unknown, config: Pick<Config, 'kafka'>): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name.startsWith('KafkaJS')) {
    const brokers = (config.kafka.brokers ?? []).join(',');
    return new AppError('KAFKA_UNAVAILABLE', `Kafka at ${brokers} (KAFKA_BROKERS): ${message}`, {
      retryable: true,
      cause: err,
    });
  }
  return new AppError('INTERNAL', `could not start: ${message}`, { cause: err });
}
