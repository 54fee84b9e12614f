import type { ConsumerDeps } from '../../consumers/deps.js';
import type { Channel, ChannelName } from '../channels/channel.js';
import type { Config } from '../config/config.js';
import { createDeviceParser } from '../enrich/device.js';
import { openGeo } from '../enrich/geo.js';
import { AppError } from '../errors.js';
import { AlertFeed } from '../http/alert-feed.js';
import { checkKafkaAccess } from '../kafka/access-check.js';
import { createKafka } from '../kafka/client.js';
import { COMPRESSION_TYPES } from '../kafka/codecs.js';
import { createPublisher } from '../kafka/publisher.js';
import { createRenderer } from '../notify/render.js';
import { Health } from '../observe/health.js';
import type { Logger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { OutcomeLog } from '../observe/outcomes.js';
import { EnrolledDirectory } from '../pipeline/enrolled-directory.js';
import { createMemoryStore } from '../state/memory.js';
import { createRedisStore } from '../state/redis.js';
import { createRedisClusterStore } from '../state/redis-cluster.js';
import { StoreRefused } from '../state/redis-connection.js';
import type { Store } from '../state/store.js';
import { createChannels } from './channels.js';
import { startMonitoring } from './monitoring.js';

/** Everything a process shares between its consumers and its HTTP server. */
export interface Services extends ConsumerDeps {
  health: Health;
  feed: AlertFeed;
  close(): Promise<void>;
}

/** Builds the services from config (channels may be overridden); fails fast (with the part named) when one cannot start. */
export async function buildServices(
  config: Config,
  log: Logger,
  opts: { channels?: Partial<Record<ChannelName, Channel>>; kafkaChecked?: boolean } = {},
): Promise<Services> {
  // Settings the brokers refuse stop the start here, before anything is opened, naming Kafka (exit 2),
  // not after a minute of retries.
  if (!opts.kafkaChecked) await checkKafkaAccess(config);
  const health = new Health();
  const store = openStore(config);
  await store.ping().catch((err: unknown) => {
    void store.close();
    throw startRefusal(config, err);
  });
  health.set('store', true, store.kind);
  const geo = await openGeo({
    cityDb: config.geo.cityDb,
    asnDb: config.geo.asnDb,
    anonymousDb: config.geo.anonymousDb,
    watch: true,
    onReload: (path) => log.info({ path }, 'geo database reloaded'),
  });
  const kafka = createKafka(config, log);
  const publisher = await createPublisher(kafka, {
    compression: COMPRESSION_TYPES[config.kafka.compression],
  });
  health.set('kafka', true);
  // Overrides are for tests: e.g. a push channel whose agent trusts a local push service's CA.
  const channels = { ...createChannels(config), ...opts.channels };
  const directory = new EnrolledDirectory();
  const metrics = createMetrics({ ready: () => health.ready, enrolled: () => directory.size });
  const monitoring = startMonitoring({
    kafka,
    store,
    health,
    metrics,
    log,
    stallAfterMs: config.kafka.stallAfterMs,
  });
  return {
    config,
    log,
    kafka,
    publisher,
    store,
    devices: createDeviceParser(),
    geo,
    renderer: createRenderer(),
    channels,
    metrics,
    health,
    watch: monitoring.watch,
    outcomes: new OutcomeLog(),
    directory,
    feed: new AlertFeed(),
    async close() {
      await monitoring.stop();
      await publisher.close().catch(() => {});
      for (const c of Object.values(channels)) await c.close?.().catch(() => {});
      await store.close();
      geo.close();
    },
  };
}

/** The configured state store: a Redis Cluster, one Redis server, or memory (one process only). */
function openStore(config: Config): Store {
  const security = config.redisSecurity;
  if (config.redisClusterNodes) return createRedisClusterStore(config.redisClusterNodes, { security });
  if (config.redisUrl) return createRedisStore(config.redisUrl, { security });
  return createMemoryStore({ maxKeys: config.memoryStoreMaxKeys });
}

/**
 * A store that refuses this client at start is a configuration to fix, not an outage to wait out:
 * it stops the start with BAD_CONFIG (exit 2) naming the variables to check. Other failures pass.
 */
function startRefusal(config: Config, err: unknown): unknown {
  if (!(err instanceof StoreRefused)) return err;
  const where = config.redisClusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
  const named: Record<StoreRefused['refusal'], string> = {
    credentials: config.redisSecurity.password !== undefined ? 'REDIS_USERNAME, REDIS_PASSWORD' : where,
    permission: where,
    tls: config.redisSecurity.tls?.ca !== undefined ? 'REDIS_TLS_CA_FILE' : where,
  };
  return new AppError('BAD_CONFIG', `${named[err.refusal]}: ${err.message}`, { cause: err });
}
