/**
 * The login-events handler reads state in one round trip for small chunks and in two (profiles first)
 * for large ones. Both must decide exactly the same; this runs one stream both ways and compares.
 */
import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '../../src/config/config.js';
import type { AuthEvent } from '../../src/contracts/auth-event.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { type GeoLookup, openGeo } from '../../src/enrich/geo.js';
import { AppError } from '../../src/errors.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import type { OutRecord } from '../../src/kafka/publisher.js';
import { createMetrics, type Metrics } from '../../src/observe/metrics.js';
import { EnrolledDirectory } from '../../src/pipeline/enrolled-directory.js';
import { createLoginEventsHandler } from '../../src/pipeline/login-events.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { Store } from '../../src/state/store.js';
import { failedSignIn, IP_TOKYO, profile, signIn, UA_WIN_FIREFOX } from '../support/events.js';

let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeo({});
});
afterAll(() => geo.close());

/** `n` events over 12 accounts (a third enrolled): repeats, new devices, a distant place, failures. */
function stream(n = 240): AuthEvent[] {
  const now = Date.now();
  const events: AuthEvent[] = [];
  for (let i = 0; i < n; i++) {
    const account = `acct-${i % 12}`;
    const at = new Date(now - (n - i) * 1000);
    if (i % 7 === 3) {
      events.push({ ...failedSignIn(account, at), event_id: `e${i}` });
      continue;
    }
    const base = signIn(account, {
      event_id: `e${i}`,
      session_id: `s${i % 40}`, // sessions repeat
      occurred_at: at.toISOString(),
    } as Partial<AuthEvent>);
    if (i % 5 === 0) events.push({ ...base, client: { ip: IP_TOKYO, user_agent: UA_WIN_FIREFOX } });
    else events.push(base);
  }
  return events;
}

function records(events: AuthEvent[]): InRecord[] {
  return events.map((e, i) => ({
    topic: 'auth.events',
    partition: 0,
    message: {
      key: Buffer.from(e.account_id),
      value: Buffer.from(JSON.stringify(e)),
      offset: String(i),
      timestamp: String(Date.now()),
      attributes: 0,
      headers: {},
    } as KafkaMessage,
  }));
}

/**
 * Runs the stream in chunks of `size`; returns what was published and how many reads were made.
 * `failPublish`: that publish call (1-based) fails once, retryably, and its chunk is handled again.
 */
async function run(
  size: number,
  events: AuthEvent[],
  directory?: EnrolledDirectory,
  { failPublish, metrics }: { failPublish?: number; metrics?: Metrics } = {},
) {
  const store = createMemoryStore();
  let reads = 0;
  let writes = 0;
  const keysRead: string[] = [];
  const counting: Store = {
    ...store,
    read: (k) => {
      reads++;
      keysRead.push(...k);
      return store.read(k);
    },
    write: (w) => {
      writes++;
      return store.write(w);
    },
  };
  await store.write(
    [0, 3, 6, 9].map((n) => ({
      op: 'set' as const,
      key: keys.profile(`acct-${n}`),
      value: JSON.stringify(profile(`acct-${n}`)),
    })),
  );
  const published: OutRecord[] = [];
  let publishes = 0;
  const handler = createLoginEventsHandler({
    store: counting,
    devices: createDeviceParser(),
    geo,
    publisher: {
      publish: async (r) => {
        if (++publishes === failPublish)
          throw new AppError('KAFKA_UNAVAILABLE', 'broker away', { retryable: true });
        published.push(...r);
      },
      close: async () => {},
    },
    config: loadConfig({}),
    now: () => Date.now(),
    directory,
    metrics,
  });
  const all = records(events);
  for (let i = 0; i < all.length; i += size) {
    const chunk = all.slice(i, i + size);
    await handler(chunk).catch((err: AppError) => {
      if (!err.retryable) throw err;
      return handler(chunk);
    });
  }
  const alerts = published
    .filter((r) => r.topic === 'security.login-alerts')
    .map((r) => {
      const a = r.value as { alert_id: string; kind: string; severity: string; reasons: string[] };
      return `${a.alert_id} ${a.kind} ${a.severity} ${a.reasons.join(',')}`;
    });
  return { alerts, reads, writes, keysRead, chunks: Math.ceil(all.length / size) };
}

describe('login-events state reads', () => {
  it('decides the same whether a chunk reads its state in one round trip or in two', async () => {
    const events = stream();
    const small = await run(10, events); // 24 chunks of 10: one read each
    const large = await run(240, events); // one chunk: profiles, then the enrolled accounts' keys
    expect(small.alerts.length).toBeGreaterThan(10);
    expect(small.alerts).toEqual(large.alerts);
    expect(small.reads).toBe(small.chunks);
    expect(large.reads).toBe(2);
  });

  it('decides a chunk with more than 250 events that may notify in runs, each seeing what the last wrote', async () => {
    const events = stream(1_000); // sessions repeat across runs
    const small = await run(10, events);
    const whole = await run(1_000, events); // every event may notify: runs of 250
    expect(whole.alerts).toEqual(small.alerts);
    expect(whole.alerts.length).toBeGreaterThan(10);
    expect(whole.reads).toBe(4 * 2);
    expect(whole.writes).toBe(4);

    const directory = new EnrolledDirectory();
    for (const n of [0, 3, 6, 9]) {
      const value = JSON.stringify(profile(`acct-${n}`));
      directory.apply({ partition: 0, offset: String(n), key: `acct-${n}`, value });
    }
    const held = await run(1_000, events, directory); // a third may notify: runs of 250 and 84
    expect(held.alerts).toEqual(small.alerts);
    expect(held.writes).toBe(2);
    const fewer = await run(700, events.slice(0, 700), directory); // 234 may notify: one run
    expect(fewer.writes).toBe(1);
  });

  it('counts each run once it is durable, also when a later run fails and the chunk is handled again', async () => {
    const events = stream(1_000);
    const counted = async (m: Metrics) =>
      Object.fromEntries(
        (await m.eventsIn.get()).values.map((v) => [`${v.labels.type} ${v.labels.outcome}`, v.value]),
      );
    const clean = createMetrics();
    const once = await run(1_000, events, undefined, { metrics: clean });
    const retried = createMetrics();
    const again = await run(1_000, events, undefined, { failPublish: 2, metrics: retried });
    expect(again.alerts).toEqual(once.alerts);
    expect(again.writes).toBe(4 + 1); // the first run, then all four again
    const first = await counted(clean);
    const second = await counted(retried);
    // Every decision counted as in the clean run; the first run's 250 events once more when replayed,
    // the enrolled accounts' as duplicates, the others' as not enrolled.
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total(first)).toBe(1_000);
    expect(total(second)).toBe(1_250);
    const replayedAs = (label: string) => / (duplicate_event|not_enrolled)$/.test(label);
    expect(Object.keys(first).some((label) => label.endsWith(' alerted'))).toBe(true);
    for (const [label, n] of Object.entries(first))
      if (!replayedAs(label)) expect([label, second[label]]).toEqual([label, n]);
  });

  it('reads nothing for accounts the directory does not hold, and decides the same', async () => {
    const events = stream();
    const directory = new EnrolledDirectory();
    for (const n of [0, 3, 6, 9]) {
      const value = JSON.stringify(profile(`acct-${n}`));
      directory.apply({ partition: 0, offset: String(n), key: `acct-${n}`, value });
    }
    const without = await run(10, events);
    const withDirectory = await run(10, events, directory);
    expect(withDirectory.alerts).toEqual(without.alerts);
    const accountsRead = new Set(withDirectory.keysRead.map((k) => k.slice(0, k.indexOf('}') + 1)));
    expect([...accountsRead].sort()).toEqual(['la:{acct-0}', 'la:{acct-3}', 'la:{acct-6}', 'la:{acct-9}']);
    expect(new Set(without.keysRead.map((k) => k.slice(0, k.indexOf('}') + 1))).size).toBeGreaterThan(4);
    expect(withDirectory.keysRead.length).toBeLessThan(without.keysRead.length / 2);
  });
});
