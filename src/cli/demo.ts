import type { Kafka } from 'kafkajs';
import { type Config, LOCAL_OUTBOX_DIR, loadConfig } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { AppError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { COMPRESSION_TYPES } from '../kafka/codecs.js';
import { createPublisher, type Publisher } from '../kafka/publisher.js';
import { createLogger } from '../observe/logger.js';
import type { OutcomeEntry } from '../observe/outcomes.js';
import { playIdpSamples } from './demo-idp.js';
import { buildStory } from './demo-story.js';
import {
  type AdminClient,
  adminClient,
  collectReceipts,
  inboxEmails,
  waitForKeys,
  waitForOutcomes,
} from './demo-watch.js';

const WHY: Record<string, string> = {
  duplicate_event: 'nothing: this event id was already processed',
  duplicate_session: 'nothing: this session was already alerted',
  not_enrolled: 'nothing: the account is not enrolled in advanced security',
  below_threshold: 'counted: below the failure threshold so far',
  stale: 'published for the security team, nobody notified (too old)',
};

/** Where `start` puts its email inbox when port 8005 is free; SES_ENDPOINT says otherwise. */
const DEFAULT_INBOX = 'http://127.0.0.1:8005';

/** How an outcome reads in the demo's output (no outcome: the pipeline did not decide in time). */
function describe(o: OutcomeEntry | undefined): string {
  if (!o) return '→ no outcome seen (is the pipeline lagging?)';
  if (!o.alert_id) return `→ ${WHY[o.outcome] ?? o.outcome}`;
  return `→ ALERT ${o.kind} · ${o.severity?.toUpperCase()} · ${o.reasons?.join(', ') || 'known device, usual place'}`;
}

/** The demo's configuration: start's defaults, so it finds the pipeline `start` runs. */
function demoConfig(): Config {
  // kafkajs prints a multi-line notice about its v2 partitioner on every producer; the demo's reader does not care.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  // The demo sends no email itself: SES_ENDPOINT only tells it where start's inbox is, so SES_FROM may be unset.
  // The demo plays against `start`, whose outbox is ./outbox unless OUTBOX_DIR says otherwise.
  return loadConfig({ SES_FROM: 'demo@login-alerts.local', OUTBOX_DIR: LOCAL_OUTBOX_DIR, ...process.env });
}

/** The admin API of a ready pipeline; refuses when none answers. */
async function readyAdmin(config: Config): Promise<AdminClient> {
  const admin = adminClient(config.admin);
  const ready = await admin.get('/readyz').then(
    (r) => r.ok,
    () => false,
  );
  if (ready) return admin;
  throw new AppError(
    'KAFKA_UNAVAILABLE',
    `no ready pipeline at ${admin.url}: is \`login-alerts start\` running (with the same ADMIN_PORT and ADMIN_TOKEN)?`,
  );
}

/** What playing needs: the config, the broker, the publisher and the admin API. */
interface Demo {
  config: Config;
  kafka: Kafka;
  publisher: Publisher;
  admin: AdminClient;
}

/** Publishes profiles and waits until the pipeline has applied them (their exclusions are out). */
async function enroll({ config, kafka, publisher }: Demo, profiles: AccountSecurity[]): Promise<void> {
  const keys = profiles.filter((p) => p.advanced_security.enrolled).map((p) => p.account_id);
  const applied = waitForKeys(kafka, config.topics.trainingExclusions, keys, 30_000);
  await publisher.publish(
    profiles.map((p) => ({ topic: config.topics.accountSecurity, key: p.account_id, value: p })),
  );
  await applied;
}

/** Plays the story's events and prints each with what the pipeline did; true when all were decided. */
async function playStory(demo: Demo, story: ReturnType<typeof buildStory>): Promise<boolean> {
  const { config, kafka, publisher, admin } = demo;
  console.log(
    `demo run ${story.run}: seeding 3 profiles (Ana: pt-BR, São Paulo time; Ben: en, London; Cai: not enrolled)`,
  );
  await enroll(demo, story.profiles);
  console.log('profiles applied; enrollment published to privacy.training-exclusions\n');
  await publisher.publish(
    story.steps.map((s) => ({ topic: config.topics.authEvents, key: s.event.account_id, value: s.event })),
  );
  const eventIds = story.steps.map((s) => s.event.event_id);
  const outcomes = await waitForOutcomes(admin, eventIds, story.run, 30_000);
  const receipts = await collectReceipts(kafka, config.topics.deliveries, outcomes, 20_000);
  for (const [i, step] of story.steps.entries()) {
    const o = outcomes[i];
    console.log(`${String(i + 1).padStart(2)}. ${step.event.type.padEnd(17)} ${step.says}`);
    if (!o?.alert_id) console.log(`    ${describe(o)}`);
    else {
      const sent = receipts.filter((r) => r.alert_id === o.alert_id).map((r) => `${r.channel}:${r.status}`);
      const why = o.reasons?.length ? o.reasons.join(', ') : 'known device, usual place';
      console.log(`    → ALERT ${o.kind} · ${o.severity?.toUpperCase()} · ${why}`);
      if (o.outcome === 'stale') console.log(`      ${WHY.stale}`);
      else
        console.log(
          `      channels: ${sent.length ? sent.join(' ') : (o.channels ?? []).join(' ') || 'none'}`,
        );
    }
  }
  console.log(`\n${outcomes.filter((o) => o?.alert_id).length} alerts from ${story.steps.length} events.`);
  return outcomes.every(Boolean);
}

/** Where the person watching finds what was sent: the local inbox, the dashboard, the outbox files. */
async function printWhere({ config, admin }: Demo, run: string): Promise<void> {
  const inboxUrl = (config.ses?.endpoint ?? DEFAULT_INBOX).replace(/\/+$/, '');
  const emails = await inboxEmails(inboxUrl, run);
  if (emails) {
    console.log(`\nEmails in the local inbox (${inboxUrl}/store):`);
    for (const e of emails) console.log(`  to ${e.destination.to.join(', ')}: ${e.subject}`);
    if (emails.length === 0) console.log('  none for this run');
  }
  console.log(`\nDashboard: ${admin.url}/`);
  if (!emails)
    console.log(`Email: see the Email line printed by start (outbox: ${config.outboxDir}/email.jsonl)`);
  console.log(
    `SMS and push without providers: ${config.outboxDir}/sms.jsonl, ${config.outboxDir}/push.jsonl`,
  );
}

/** `login-alerts demo`: plays a story against the running pipeline and prints what it did. */
export async function runDemoCommand(args: string[]): Promise<number> {
  const idp = args.length === 1 && args[0] === '--idp';
  if (args.length > 0 && !idp) throw new AppError('BAD_USAGE', 'usage: login-alerts demo [--idp]');
  const config = demoConfig();
  const brokers = config.kafka.brokers ?? ['127.0.0.1:9092'];
  const admin = await readyAdmin(config);
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const kafka = createKafka(config, log, brokers);
  const publisher = await createPublisher(kafka, {
    compression: COMPRESSION_TYPES[config.kafka.compression],
  });
  const demo: Demo = { config, kafka, publisher, admin };
  const story = buildStory(Date.now());
  try {
    const storyOk = await playStory(demo, story);
    const idpOk =
      !idp ||
      (await playIdpSamples({
        config,
        publisher,
        now: Date.now(),
        run: story.run,
        enroll: (profiles) => enroll(demo, profiles),
        outcomes: (ids) => waitForOutcomes(admin, ids, story.run, 30_000),
        describe,
      }));
    await printWhere(demo, story.run);
    return storyOk && idpOk ? 0 : 1;
  } finally {
    await publisher.close();
  }
}
