import { randomUUID } from 'node:crypto';
import type { LoginAlert } from '../src/contracts/login-alert.js';
import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import type { ConsumerParts } from './parts.js';

/** security.login-alerts → the dashboard's live feed (a private group per process: every replica sees all). */
export function startAlertFeed(parts: ConsumerParts): Promise<RunningConsumer> {
  return runConsumerLoop({
    kafka: parts.kafka,
    groupId: `${parts.config.kafka.groupId}.dashboard.${randomUUID()}`,
    topics: [parts.config.topics.loginAlerts],
    log: parts.log.child({ consumer: 'alert-feed' }),
    watch: parts.watch,
    handler: async (records) => {
      for (const r of records) {
        try {
          parts.feed.push(JSON.parse(r.message.value?.toString('utf8') ?? 'null') as LoginAlert);
        } catch {
          // Not ours to judge: the feed only shows what parses.
        }
      }
    },
  });
}
