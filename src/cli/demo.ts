import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '../config/config.js';
import type { DeliveryReceipt } from '../contracts/records.js';
import { AppError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { createPublisher } from '../kafka/publisher.js';
import { createLogger } from '../log/logger.js';
import type { OutcomeEntry } from '../pipeline/outcomes.js';
import { buildStory } from './demo-story.js';

const WHY: Record<string, string> = {
  duplicate_event: 'nothing: this event id was already processed',
  duplicate_session: 'nothing: this session was already alerted',
  not_enrolled: 'nothing: the account is not enrolled in advanced security',
  below_threshold: 'counted: below the failure threshold so far',
  stale: 'published for the security team, nobody notified (too old)',
};

/** `login-alerts demo`: plays a story against the running pipeline and prints what it did. */
export async function runDemoCommand(args: string[]): Promise<number> {
  if (args.length > 0) throw new AppError('BAD_USAGE', 'usage: login-alerts demo');
  const config = loadConfig();
  const brokers = config.kafka.brokers ?? ['127.0.0.1:9092'];
  const http = `http://127.0.0.1:${config.httpPort}`;
  const ready = await fetch(`${http}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready)
    throw new AppError(
      'KAFKA_UNAVAILABLE',
      `no ready pipeline at ${http}: is \`login-alerts start\` running?`,
    );
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const kafka = createKafka(config, log, brokers);
  const publisher = await createPublisher(kafka);
  const story = buildStory(Date.now());
  const enrolled = story.profiles.filter((p) => p.advanced_security.enrolled).map((p) => p.account_id);
  try {
    console.log(
      `demo run ${story.run}: seeding 3 profiles (Ana: pt-BR, São Paulo time; Ben: en, London; Cai: not enrolled)`,
    );
    const exclusions = waitForKeys(kafka, config.topics.trainingExclusions, enrolled, 30_000);
    await publisher.publish(
      story.profiles.map((p) => ({ topic: config.topics.accountSecurity, key: p.account_id, value: p })),
    );
    await exclusions;
    console.log('profiles applied; enrollment published to privacy.training-exclusions\n');
    await publisher.publish(
      story.steps.map((s) => ({ topic: config.topics.authEvents, key: s.event.account_id, value: s.event })),
    );
    const outcomes = await waitForOutcomes(http, story.steps.length, story.run, 30_000);
    const alertIds = outcomes
      .filter((o) => o.alert_id && (o.channels?.length ?? 0) > 0)
      .map((o) => o.alert_id!);
    const receipts = await collectReceipts(kafka, config.topics.deliveries, alertIds, outcomes, 20_000);
    story.steps.forEach((step, i) => {
      const o = outcomes[i];
      console.log(`${String(i + 1).padStart(2)}. ${step.event.type.padEnd(17)} ${step.says}`);
      if (!o) return console.log('    → no outcome seen (is the pipeline lagging?)');
      if (o.alert_id) {
        const sent = receipts.filter((r) => r.alert_id === o.alert_id).map((r) => `${r.channel}:${r.status}`);
        console.log(`    → ALERT ${o.kind} · ${o.severity?.toUpperCase()} · ${o.reasons?.join(', ')}`);
        console.log(
          `      channels: ${sent.length ? sent.join(' ') : (o.channels ?? []).join(' ') || 'none'}`,
        );
      } else console.log(`    → ${WHY[o.outcome] ?? o.outcome}`);
    });
    const inbox = await fetch('http://127.0.0.1:8005/store').then(
      (r) => r.ok,
      () => false,
    );
    console.log(`\nDashboard: ${http}/`);
    console.log(
      inbox
        ? 'Email inbox: http://127.0.0.1:8005/'
        : `Email: see the Email line printed by start (outbox: ${config.outboxDir}/email.jsonl)`,
    );
    console.log(
      `SMS and push without providers: ${config.outboxDir}/sms.jsonl, ${config.outboxDir}/push.jsonl`,
    );
    return 0;
  } finally {
    await publisher.close();
  }
}

/** Outcomes for this run's events, in the order they were published. */
async function waitForOutcomes(
  http: string,
  count: number,
  run: string,
  timeoutMs: number,
): Promise<OutcomeEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const recent = (await (await fetch(`${http}/api/outcomes`)).json()) as OutcomeEntry[];
    const mine = recent.filter((o) => o.account_id?.endsWith(run)).reverse();
    if (mine.length >= count || Date.now() > deadline) return mine;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function collectReceipts(
  kafka: Kafka,
  topic: string,
  alertIds: string[],
  outcomes: OutcomeEntry[],
  timeoutMs: number,
): Promise<DeliveryReceipt[]> {
  const expected = outcomes.reduce(
    (n, o) => n + (o.alert_id && alertIds.includes(o.alert_id) ? (o.channels?.length ?? 0) : 0),
    0,
  );
  const wanted = new Set(alertIds);
  const found: DeliveryReceipt[] = [];
  await consumeUntil(kafka, topic, timeoutMs, (value) => {
    const r = JSON.parse(value) as DeliveryReceipt;
    if (wanted.has(r.alert_id) && r.status !== 'failed') found.push(r);
    return found.length >= expected;
  });
  return found;
}

function waitForKeys(kafka: Kafka, topic: string, keys: string[], timeoutMs: number): Promise<void> {
  const missing = new Set(keys);
  return consumeUntil(kafka, topic, timeoutMs, (_value, key) => {
    missing.delete(key);
    return missing.size === 0;
  });
}

/** Reads a topic from the start in a throwaway group until `done` says so or time runs out. */
async function consumeUntil(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  done: (value: string, key: string) => boolean,
): Promise<void> {
  const consumer = kafka.consumer({ groupId: `login-alerts-demo-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value && done(message.value.toString('utf8'), message.key?.toString('utf8') ?? '')) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
}
