import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { type Config, LOCAL_OUTBOX_DIR, loadConfig } from '../config/config.js';
import type { DeliveryReceipt } from '../contracts/records.js';
import { AppError } from '../errors.js';
import { listenerUrl } from '../http/server.js';
import { createKafka } from '../kafka/client.js';
import { COMPRESSION_TYPES } from '../kafka/codecs.js';
import { createPublisher } from '../kafka/publisher.js';
import { createLogger } from '../observe/logger.js';
import type { OutcomeEntry } from '../observe/outcomes.js';
import { playIdpSamples } from './demo-idp.js';
import { buildStory } from './demo-story.js';

const WHY: Record<string, string> = {
  duplicate_event: 'nothing: this event id was already processed',
  duplicate_session: 'nothing: this session was already alerted',
  not_enrolled: 'nothing: the account is not enrolled in advanced security',
  below_threshold: 'counted: below the failure threshold so far',
  stale: 'published for the security team, nobody notified (too old)',
};

/** Where `start` puts its email inbox when port 8005 is free; SES_ENDPOINT says otherwise. */
const DEFAULT_INBOX = 'http://127.0.0.1:8005';

/** `login-alerts demo`: plays a story against the running pipeline and prints what it did. */
export async function runDemoCommand(args: string[]): Promise<number> {
  const idp = args.length === 1 && args[0] === '--idp';
  if (args.length > 0 && !idp) throw new AppError('BAD_USAGE', 'usage: login-alerts demo [--idp]');
  // kafkajs prints a multi-line notice about its v2 partitioner on every producer; the demo's reader does not care.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  // The demo sends no email itself: SES_ENDPOINT only tells it where start's inbox is, so SES_FROM may be unset.
  // The demo plays against `start`, whose outbox is ./outbox unless OUTBOX_DIR says otherwise.
  const config = loadConfig({
    SES_FROM: 'demo@login-alerts.local',
    OUTBOX_DIR: LOCAL_OUTBOX_DIR,
    ...process.env,
  });
  const brokers = config.kafka.brokers ?? ['127.0.0.1:9092'];
  const admin = adminClient(config.admin);
  const ready = await admin.get('/readyz').then(
    (r) => r.ok,
    () => false,
  );
  if (!ready) {
    throw new AppError(
      'KAFKA_UNAVAILABLE',
      `no ready pipeline at ${admin.url}: is \`login-alerts start\` running (with the same ADMIN_PORT and ADMIN_TOKEN)?`,
    );
  }
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const kafka = createKafka(config, log, brokers);
  const publisher = await createPublisher(kafka, {
    compression: COMPRESSION_TYPES[config.kafka.compression],
  });
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
    const eventIds = story.steps.map((s) => s.event.event_id);
    const outcomes = await waitForOutcomes(admin, eventIds, story.run, 30_000);
    const receipts = await collectReceipts(kafka, config.topics.deliveries, outcomes, 20_000);
    for (const [i, step] of story.steps.entries()) {
      const o = outcomes[i];
      console.log(`${String(i + 1).padStart(2)}. ${step.event.type.padEnd(17)} ${step.says}`);
      if (!o) console.log('    → no outcome seen (is the pipeline lagging?)');
      else if (o.alert_id) {
        const sent = receipts.filter((r) => r.alert_id === o.alert_id).map((r) => `${r.channel}:${r.status}`);
        const why = o.reasons?.length ? o.reasons.join(', ') : 'known device, usual place';
        console.log(`    → ALERT ${o.kind} · ${o.severity?.toUpperCase()} · ${why}`);
        if (o.outcome === 'stale') console.log(`      ${WHY.stale}`);
        else
          console.log(
            `      channels: ${sent.length ? sent.join(' ') : (o.channels ?? []).join(' ') || 'none'}`,
          );
      } else console.log(`    → ${WHY[o.outcome] ?? o.outcome}`);
    }
    const alerts = outcomes.filter((o) => o?.alert_id).length;
    console.log(`\n${alerts} alerts from ${story.steps.length} events.`);
    const idpOk =
      !idp ||
      (await playIdpSamples({
        config,
        publisher,
        now: Date.now(),
        run: story.run,
        enroll: async (profiles) => {
          const applied = waitForKeys(
            kafka,
            config.topics.trainingExclusions,
            profiles.map((p) => p.account_id),
            30_000,
          );
          await publisher.publish(
            profiles.map((p) => ({ topic: config.topics.accountSecurity, key: p.account_id, value: p })),
          );
          await applied;
        },
        outcomes: (ids) => waitForOutcomes(admin, ids, story.run, 30_000),
        describe: (o) =>
          !o
            ? '→ no outcome seen (is the pipeline lagging?)'
            : o.alert_id
              ? `→ ALERT ${o.kind} · ${o.severity?.toUpperCase()} · ${o.reasons?.join(', ') || 'known device, usual place'}`
              : `→ ${WHY[o.outcome] ?? o.outcome}`,
      }));

    const inboxUrl = (config.ses?.endpoint ?? DEFAULT_INBOX).replace(/\/+$/, '');
    const emails = await inboxEmails(inboxUrl, story.run);
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
    return outcomes.every(Boolean) && idpOk ? 0 : 1;
  } finally {
    await publisher.close();
  }
}

/**
 * The decision for each published event, in publishing order. Matched by event id, not position:
 * accounts live on different partitions, so the pipeline decides them in no global order. A
 * redelivered event id has two entries; they are taken oldest first.
 */
async function waitForOutcomes(
  admin: AdminClient,
  eventIds: string[],
  run: string,
  timeoutMs: number,
): Promise<(OutcomeEntry | undefined)[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const recent = (await (await admin.get('/api/outcomes')).json()) as OutcomeEntry[];
    const pool = recent.filter((o) => o.account_id?.endsWith(run)).reverse();
    const matched = eventIds.map((id) => {
      const i = pool.findIndex((o) => o.event_id === id);
      return i < 0 ? undefined : pool.splice(i, 1)[0];
    });
    if (matched.every(Boolean) || Date.now() > deadline) return matched;
    await sleep(250);
  }
}

interface AdminClient {
  url: string;
  get(path: string): Promise<Response>;
}

/** GETs on start's admin listener, with ADMIN_TOKEN as a bearer token when it is set. */
function adminClient(admin: Config['admin']): AdminClient {
  const url = listenerUrl(admin.host, admin.port);
  const headers: Record<string, string> = admin.token ? { authorization: `Bearer ${admin.token}` } : {};
  return { url, get: (path) => fetch(`${url}${path}`, { headers }) };
}

/** The latest settled receipt (sent, suppressed, expired) per alert and channel; a `failed` one may be retried. */
async function collectReceipts(
  kafka: Kafka,
  topic: string,
  outcomes: (OutcomeEntry | undefined)[],
  timeoutMs: number,
): Promise<DeliveryReceipt[]> {
  const expected = new Set(
    outcomes.flatMap((o) => (o?.alert_id ? (o.channels ?? []).map((c) => `${o.alert_id}/${c}`) : [])),
  );
  const found = new Map<string, DeliveryReceipt>();
  if (expected.size === 0) return [];
  await consumeUntil(kafka, topic, timeoutMs, (value) => {
    const r = JSON.parse(value) as DeliveryReceipt;
    const id = `${r.alert_id}/${r.channel}`;
    if (expected.has(id) && r.status !== 'failed') found.set(id, r);
    return found.size >= expected.size;
  });
  return [...found.values()];
}

interface InboxEmail {
  destination: { to: string[] };
  subject: string;
  at: number;
}

/** This run's emails in aws-ses-v2-local's store, oldest first; undefined when no inbox answers there. */
async function inboxEmails(url: string, run: string): Promise<InboxEmail[] | undefined> {
  try {
    const res = await fetch(`${url}/store`);
    if (!res.ok) return undefined;
    const store = (await res.json()) as { emails?: InboxEmail[] };
    if (!Array.isArray(store.emails)) return undefined;
    return store.emails
      .filter((e) => e.destination?.to?.some((to) => to.includes(run)))
      .sort((a, b) => a.at - b.at);
  } catch {
    return undefined;
  }
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
