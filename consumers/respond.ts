import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { createRespondHandler } from '../src/respond/respond.js';
import { createResponders } from '../src/responders/index.js';
import type { ConsumerDeps } from './deps.js';

/** A report target outlives the alert's link by a day, so a report confirmed at the last moment finds it. */
const TARGET_MARGIN_MS = 24 * 3600 * 1000;

/** security.login-alerts → containment at the identity providers → login-alerts.responses. */
export function startRespond(deps: ConsumerDeps): Promise<RunningConsumer> {
  const { config } = deps;
  const log = deps.log.child({ consumer: 'respond' });
  return runConsumerLoop({
    kafka: deps.kafka,
    groupId: `${config.kafka.groupId}.respond`,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    topics: [config.topics.loginAlerts],
    log,
    watch: deps.watch,
    chunkSize: 100,
    handler: createRespondHandler({
      store: deps.store,
      publisher: deps.publisher,
      responders: createResponders(config.respond),
      topics: { responses: config.topics.responses, notifications: config.topics.notifications },
      log,
      metrics: deps.metrics,
      targetTtlMs: config.links.ttlMs + TARGET_MARGIN_MS,
      leaseMs: config.respondLeaseMs,
    }),
  });
}
