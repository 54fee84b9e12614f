import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { createLoginEventsHandler } from '../src/pipeline/login-events.js';
import type { ConsumerParts } from './parts.js';

/** auth.events → alerts for security teams and notification requests. */
export function startLoginEvents(parts: ConsumerParts): Promise<RunningConsumer> {
  const log = parts.log.child({ consumer: 'login-events' });
  const handler = createLoginEventsHandler({
    store: parts.store,
    devices: parts.devices,
    geo: parts.geo,
    publisher: parts.publisher,
    config: parts.config,
    metrics: parts.metrics,
    outcomes: parts.outcomes,
    directory: parts.directory,
    log,
  });
  return runConsumerLoop({
    kafka: parts.kafka,
    groupId: parts.config.kafka.groupId,
    topics: [parts.config.topics.authEvents],
    handler,
    log,
    watch: parts.watch,
  });
}
