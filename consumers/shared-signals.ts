import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { createTransmitHandler } from '../src/signals/transmit.js';
import type { ConsumerDeps, SignalsParts } from './deps.js';

/** security.login-alerts and login-alerts.responses → signed SETs in the Shared Signals streams' queues. */
export function startSharedSignals(deps: ConsumerDeps, signals: SignalsParts): Promise<RunningConsumer> {
  const { config } = deps;
  const log = deps.log.child({ consumer: 'shared-signals' });
  return runConsumerLoop({
    kafka: deps.kafka,
    groupId: `${config.kafka.groupId}.shared-signals`,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    topics: [config.topics.loginAlerts, config.topics.responses],
    log,
    watch: deps.watch,
    chunkSize: 100,
    handler: createTransmitHandler({
      store: deps.store,
      streams: signals.streams,
      queue: signals.queue,
      signer: signals.signer,
      topics: { loginAlerts: config.topics.loginAlerts, responses: config.topics.responses },
      log,
      metrics: deps.metrics,
      queued: (ids) => signals.push.wake(ids),
    }),
  });
}
