import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { createLoginEventsHandler, LOGIN_EVENTS_CHUNK_SIZE } from '../src/pipeline/login-events.js';
import type { ConsumerDeps } from './deps.js';

/** auth.events → alerts for security teams and notification requests. */
export function startLoginEvents(deps: ConsumerDeps): Promise<RunningConsumer> {
  const log = deps.log.child({ consumer: 'login-events' });
  const handler = createLoginEventsHandler({
    store: deps.store,
    devices: deps.devices,
    geo: deps.geo,
    publisher: deps.publisher,
    config: deps.config,
    metrics: deps.metrics,
    outcomes: deps.outcomes,
    directory: deps.directory,
    log,
  });
  return runConsumerLoop({
    kafka: deps.kafka,
    groupId: deps.config.kafka.groupId,
    sessionTimeoutMs: deps.config.kafka.sessionTimeoutMs,
    topics: [deps.config.topics.authEvents],
    handler,
    chunkSize: LOGIN_EVENTS_CHUNK_SIZE,
    log,
    watch: deps.watch,
  });
}
