import { randomUUID } from 'node:crypto';
import type { LoginAlert } from '../src/contracts/login-alert.js';
import type { ResponseRecord } from '../src/contracts/records.js';
import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import type { ConsumerDeps } from './deps.js';

/**
 * security.login-alerts and login-alerts.responses → the dashboard's live feed (a private group per
 * process: every replica sees all).
 */
export function startAlertFeed(deps: ConsumerDeps): Promise<RunningConsumer> {
  return runConsumerLoop({
    kafka: deps.kafka,
    groupId: `${deps.config.kafka.groupId}.alert-feed.${randomUUID()}`,
    topics: [deps.config.topics.loginAlerts, deps.config.topics.responses],
    log: deps.log.child({ consumer: 'alert-feed' }),
    watch: deps.watch,
    handler: async (records) => {
      for (const r of records) {
        try {
          const value = JSON.parse(r.message.value?.toString('utf8') ?? 'null');
          if (r.topic === deps.config.topics.responses) deps.feed.responses.push(value as ResponseRecord);
          else deps.feed.alerts.push(value as LoginAlert);
        } catch {
          // Not ours to judge: the feed only shows what parses.
        }
      }
    },
  });
}
