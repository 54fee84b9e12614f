import { randomUUID } from 'node:crypto';
import { catchUpTracker, runCatchingUp } from '../src/kafka/catch-up.js';
import type { RunningConsumer } from '../src/kafka/consumer-loop.js';
import { profileRecord } from '../src/pipeline/enrolled-directory.js';
import type { ConsumerDeps } from './deps.js';

/**
 * account.security → this process's EnrolledDirectory. A private group, new at each start, reads every
 * partition from the beginning; `caughtUp` resolves once it has read the topic up to
 * where it ended at start, so no event is filtered against a directory that is still filling.
 */
export async function startEnrolledDirectory(
  deps: ConsumerDeps,
): Promise<{ running: RunningConsumer; caughtUp: Promise<void> }> {
  const { config, kafka, log, directory } = deps;
  const topic = config.topics.accountSecurity;
  return runCatchingUp(
    {
      kafka,
      groupId: `${config.kafka.groupId}.directory.${randomUUID()}`,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      topic,
      log: log.child({ consumer: 'enrolled-directory' }),
      handler: async (records) => {
        for (const r of records) directory.apply(profileRecord(r));
      },
      watch: deps.watch,
    },
    await catchUpTracker(kafka, topic),
  );
}
