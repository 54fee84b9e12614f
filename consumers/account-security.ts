import { randomUUID } from 'node:crypto';
import { catchUpTracker, runCatchingUp } from '../src/kafka/catch-up.js';
import type { RunningConsumer } from '../src/kafka/consumer-loop.js';
import { createAccountProfilesHandler } from '../src/pipeline/account-profiles.js';
import { profileRecord } from '../src/pipeline/enrolled-directory.js';
import type { ConsumerDeps } from './deps.js';

/**
 * account.security → profile view. Resolves `caughtUp` once the view has reached the topic's end as
 * it was at start, so auth events are never judged against a stale view after a restart. An
 * in-memory view is rebuilt from the beginning by a private group at every start, without
 * repeating the side effects of records it had already seen in an earlier life.
 */
export async function startAccountSecurity(
  deps: ConsumerDeps,
): Promise<{ running: RunningConsumer; caughtUp: Promise<void> }> {
  const { config, kafka, store, log } = deps;
  const topic = config.topics.accountSecurity;
  const durable = store.kind !== 'memory';
  const groupId = durable
    ? `${config.kafka.groupId}.profiles`
    : `${config.kafka.groupId}.profiles.${randomUUID()}`;
  const tracker = await catchUpTracker(kafka, topic, durable ? groupId : undefined);
  const handler = createAccountProfilesHandler({
    store,
    publisher: deps.publisher,
    config,
    log: log.child({ consumer: 'account-security' }),
    metrics: deps.metrics,
    sideEffects: durable ? undefined : (r) => !tracker.isHistory(r.partition, r.message.offset),
  });
  return runCatchingUp(
    {
      kafka,
      groupId,
      sessionTimeoutMs: deps.config.kafka.sessionTimeoutMs,
      topic,
      log,
      handler: async (records) => {
        await handler(records);
        // After the store: the directory never lets an event be judged before its profile is stored.
        for (const r of records) deps.directory.apply(profileRecord(r));
      },
      watch: deps.watch,
    },
    tracker,
  );
}
