import { randomUUID } from 'node:crypto';
import { catchUpTracker } from '../src/kafka/catch-up.js';
import { type RunningConsumer, runConsumerLoop } from '../src/kafka/consumer-loop.js';
import { profileRecord } from '../src/pipeline/enrolled-directory.js';
import type { ConsumerDeps } from './deps.js';

/**
 * account.security → this process's EnrolledDirectory. A private group (nothing committed) reads every
 * partition from the beginning at each start; `caughtUp` resolves once it has read the topic up to
 * where it ended at start, so no event is filtered against a directory that is still filling.
 */
export async function startEnrolledDirectory(
  deps: ConsumerDeps,
): Promise<{ running: RunningConsumer; caughtUp: Promise<void> }> {
  const { config, kafka, log, directory } = deps;
  const topic = config.topics.accountSecurity;
  const tracker = await catchUpTracker(kafka, topic);
  let running: RunningConsumer;
  try {
    running = await runConsumerLoop({
      kafka,
      groupId: `${config.kafka.groupId}.directory.${randomUUID()}`,
      topics: [topic],
      log: log.child({ consumer: 'enrolled-directory' }),
      handler: async (records) => {
        for (const r of records) directory.apply(profileRecord(r));
        deps.metrics.enrolledAccounts.set(directory.size);
        const last = records[records.length - 1]!;
        tracker.processed(last.partition, last.message.offset);
      },
      watch: deps.watch,
    });
  } catch (err) {
    await tracker.close();
    throw err;
  }
  const stop = async () => {
    await tracker.close();
    await running.stop();
  };
  return { running: { consumer: running.consumer, stop }, caughtUp: tracker.caughtUp };
}
