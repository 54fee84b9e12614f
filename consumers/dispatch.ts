import type { ChannelName } from '../src/channels/channel.js';
import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { runDelayedLoop } from '../src/kafka/delayed-loop.js';
import { createDeadLetters } from '../src/kafka/dlq.js';
import { startTogether } from '../src/kafka/start-together.js';
import { TOPIC_SPECS } from '../src/kafka/topics.js';
import { createDispatcher, type Dispatcher } from '../src/notify/dispatch.js';
import { createRetryJobHandler, jobDueAt } from '../src/notify/retry-jobs.js';
import type { ConsumerDeps } from './deps.js';

const CHANNEL_NAMES: ChannelName[] = ['email', 'sms', 'push'];

/**
 * Opens the channels that need it: one that cannot work (an outbox another process writes) fails the
 * start rather than each send. Call it before any group joins; opening again is a no-op.
 */
export async function openChannels(deps: Pick<ConsumerDeps, 'channels'>): Promise<void> {
  for (const channel of CHANNEL_NAMES) await deps.channels[channel]?.open?.();
}

/**
 * One consumer group per channel on login-alerts.notifications (a slow provider holds back only its
 * own channel) and one on login-alerts.retry for deliveries waiting out a backoff.
 */
export async function startDispatchers(deps: ConsumerDeps): Promise<RunningConsumer[]> {
  const { config, kafka, log } = deps;
  const dispatchers: Partial<Record<ChannelName, Dispatcher>> = {};
  await openChannels(deps);
  const loops: (() => Promise<RunningConsumer>)[] = [];
  for (const channel of CHANNEL_NAMES) {
    // An off channel (no provider, no outbox) is planned for nobody: no consumer for it.
    const sender = deps.channels[channel];
    if (sender === undefined) continue;
    const dispatcher = createDispatcher({
      channel,
      sender,
      store: deps.store,
      publisher: deps.publisher,
      renderer: deps.renderer,
      config,
      log: log.child({ consumer: `deliver-${channel}` }),
      metrics: deps.metrics,
      retryPartitions: TOPIC_SPECS.retry.partitions,
    });
    dispatchers[channel] = dispatcher;
    loops.push(() =>
      runConsumerLoop({
        kafka,
        groupId: `${config.kafka.groupId}.deliver.${channel}`,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        topics: [config.topics.notifications],
        handler: dispatcher.requests,
        log: log.child({ consumer: `deliver-${channel}` }),
        chunkSize: 100,
        watch: deps.watch,
      }),
    );
  }
  const retryLog = log.child({ consumer: 'retry' });
  const dead = createDeadLetters({
    publisher: deps.publisher,
    topic: config.topics.dlq,
    log: retryLog,
    metrics: deps.metrics,
  });
  loops.push(() =>
    runDelayedLoop({
      kafka,
      groupId: `${config.kafka.groupId}.retry`,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      topic: config.topics.retry,
      log: retryLog,
      watch: deps.watch,
      dueAt: jobDueAt,
      handler: createRetryJobHandler(dispatchers, dead),
    }),
  );
  return startTogether(loops);
}
