import type { Kafka } from 'kafkajs';
import type { Channel, ChannelName } from '../src/channels/channel.js';
import type { Config } from '../src/config/config.js';
import type { LoginAlert } from '../src/contracts/login-alert.js';
import type { ResponseRecord } from '../src/contracts/records.js';
import type { DeviceParser } from '../src/enrich/device.js';
import type { GeoLookup } from '../src/enrich/geo.js';
import type { Publisher } from '../src/kafka/publisher.js';
import type { ConsumerWatch } from '../src/kafka/supervisor.js';
import type { Renderer } from '../src/notify/render.js';
import type { Logger } from '../src/observe/logger.js';
import type { Metrics } from '../src/observe/metrics.js';
import type { OutcomeLog } from '../src/observe/outcomes.js';
import type { EnrolledDirectory } from '../src/pipeline/enrolled-directory.js';
import type { PushDelivery } from '../src/signals/push.js';
import type { StreamQueue } from '../src/signals/queue.js';
import type { SetSigner } from '../src/signals/signer.js';
import type { StreamRepository } from '../src/signals/streams.js';
import type { Store } from '../src/state/store.js';

/** The Shared Signals transmitter's parts, shared by its consumer and its routes. */
export interface SignalsParts {
  signer: SetSigner;
  streams: StreamRepository;
  queue: StreamQueue;
  push: PushDelivery;
}

/**
 * What the consumers need from the process they run in. The composition root's Services satisfy it;
 * the consumers import nothing from it, so wiring points one way: runtime → consumers → the layers.
 */
export interface ConsumerDeps {
  config: Config;
  log: Logger;
  kafka: Kafka;
  publisher: Publisher;
  store: Store;
  devices: DeviceParser;
  geo: GeoLookup;
  renderer: Renderer;
  /** The channels that deliver; an off channel is absent. */
  channels: Partial<Record<ChannelName, Channel>>;
  metrics: Metrics;
  watch: ConsumerWatch;
  outcomes: OutcomeLog;
  /** Which accounts are enrolled, from account.security (every process holds all of it). */
  directory: EnrolledDirectory;
  /** The dashboard's live feed: alerts, and the containment outcomes beside them. */
  feed: { alerts: { push(alert: LoginAlert): void }; responses: { push(response: ResponseRecord): void } };
}
