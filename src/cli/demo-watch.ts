/** What the demo reads back from the running pipeline: outcomes, receipts, the local inbox. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { DeliveryReceipt } from '../contracts/records.js';
import { listenerUrl } from '../http/server.js';
import type { OutcomeEntry } from '../observe/outcomes.js';

/**
 * The decision for each published event, in publishing order. Matched by event id, not position:
 * accounts live on different partitions, so the pipeline decides them in no global order. A
 * redelivered event id has two entries; they are taken oldest first.
 */
export async function waitForOutcomes(
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

export interface AdminClient {
  url: string;
  get(path: string): Promise<Response>;
}

/** GETs on start's admin listener, with ADMIN_TOKEN as a bearer token when it is set. */
export function adminClient(admin: Config['admin']): AdminClient {
  const url = listenerUrl(admin.host, admin.port);
  const headers: Record<string, string> = admin.token ? { authorization: `Bearer ${admin.token}` } : {};
  return { url, get: (path) => fetch(`${url}${path}`, { headers }) };
}

/** The latest settled receipt (sent, suppressed, expired) per alert and channel; a `failed` one may be retried. */
export async function collectReceipts(
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
export async function inboxEmails(url: string, run: string): Promise<InboxEmail[] | undefined> {
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

export function waitForKeys(kafka: Kafka, topic: string, keys: string[], timeoutMs: number): Promise<void> {
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
