import type { KafkaMessage } from 'kafkajs';
import type { Channel, ChannelName } from '../channels/channel.js';
import type { InRecord } from '../kafka/consumer-loop.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import { createDispatcher } from '../notify/dispatch.js';
import { silentLogger } from '../observe/logger.js';
import { createAccountProfilesHandler } from '../pipeline/account-profiles.js';
import { createLoginEventsHandler } from '../pipeline/login-events.js';
import { createMemoryStore } from '../state/memory.js';
import type { Services } from './services.js';

const EVERY_CHANNEL_ON = { email: 'outbox', sms: 'outbox', push: 'outbox' } as const;

/**
 * Runs the decision and delivery code on synthetic events before the consumers join their groups.
 * Cold code (not yet optimised by V8) takes ~10 ms an event, so without it the first 1–2 s of real
 * events after a start, a deploy or a takeover would wait up to 600 ms at 1,000 events/s. Everything here
 * runs against a private memory store, a publisher that keeps records in memory and senders that
 * send nothing, so no state, record, metric, log line or message leaves it.
 */
/** What a warm-up went through: if synthetic events stopped validating, `notices` and `sent` would show it. */
export interface WarmUpResult {
  events: number;
  ms: number;
  /** notification requests decided */
  notices: number;
  /** records the dead-letter path produced (one synthetic record in 97 is malformed on purpose) */
  deadLetters: number;
  sent: Record<ChannelName, number>;
}

export async function warmUp(
  services: Pick<Services, 'config' | 'devices' | 'geo' | 'renderer'>,
  opts: { budgetMs?: number; maxEvents?: number } = {},
): Promise<WarmUpResult> {
  const budgetMs = opts.budgetMs ?? 1_000;
  const maxEvents = opts.maxEvents ?? 3_000;
  const started = performance.now();
  const log = silentLogger();
  const store = createMemoryStore({ maxKeys: 50_000 });
  const sink = collectingPublisher();
  // Every channel is planned here, whichever are off in this deployment: the senders send nothing,
  // and the code of a channel switched on later is warm too.
  const config = { ...services.config, channelRoutes: EVERY_CHANNEL_ON };
  const profiles = createAccountProfilesHandler({ store, publisher: sink, config, log });
  const decide = createLoginEventsHandler({ ...services, config, store, publisher: sink });
  const sent: Record<ChannelName, number> = { email: 0, sms: 0, push: 0 };
  const dispatchers = (['email', 'sms', 'push'] as ChannelName[]).map((channel) =>
    createDispatcher({
      channel,
      sender: nothingSent(channel, () => sent[channel]++),
      store,
      publisher: sink,
      renderer: services.renderer,
      config,
      log,
    }),
  );
  await profiles(ACCOUNTS.map((a, i) => inRecord(config.topics.accountSecurity, a, profileOf(a, i))));
  let events = 0;
  let offset = 0;
  let notices = 0;
  let deadLetters = 0;
  try {
    while (events < maxEvents && performance.now() - started < budgetMs) {
      const chunk: InRecord[] = [];
      for (let i = 0; i < 50; i++, offset++) chunk.push(syntheticEvent(config.topics.authEvents, offset));
      sink.records.length = 0;
      await decide(chunk);
      const requests = sink.records
        .filter((r) => r.topic === config.topics.notifications)
        .map((r) => inRecord(r.topic, r.key, r.value));
      notices += requests.length;
      deadLetters += sink.records.filter((r) => r.topic === config.topics.dlq).length;
      for (const d of dispatchers) await (await d.requests(requests))?.finish();
      events += chunk.length;
    }
  } finally {
    await store.close();
  }
  return { events, ms: performance.now() - started, notices, deadLetters, sent };
}

function collectingPublisher(): Publisher & { records: OutRecord[] } {
  const records: OutRecord[] = [];
  return {
    records,
    async publish(batch) {
      records.push(...batch);
    },
    async close() {},
  };
}

function nothingSent(name: ChannelName, count: () => void): Channel {
  return {
    name,
    send: async () => {
      count();
      return { providerMessageId: 'warm-up' };
    },
  };
}

const ACCOUNTS = ['warm-a', 'warm-b', 'warm-c', 'warm-d'];
const LOCALES = ['en', 'pt-BR', 'en-US', 'de'];
const ZONES = ['UTC', 'America/Sao_Paulo', 'Europe/Berlin', 'Asia/Tokyo'];
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36',
  'curl/8.5.0',
];
const ADDRESSES = ['81.2.69.160', '8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '89.160.20.112', '10.1.2.3'];

function profileOf(account: string, i: number) {
  return {
    account_id: account,
    schema_version: 1,
    updated_at: new Date(Date.now() - 60_000).toISOString(),
    advanced_security: { enrolled: i < 3 },
    contacts: {
      email: `${account}@example.invalid`,
      phone: '+15005550006',
      push_subscriptions: [
        {
          endpoint: `https://push.example.invalid/send/${account}`,
          keys: {
            p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
            auth: 'tBHItJI5svbpez7KI4CCXg',
          },
        },
      ],
    },
    preferences: { channels: ['email', 'sms', 'push'], locale: LOCALES[i], timezone: ZONES[i] },
  };
}

/** A spread of the shapes real traffic has: sign-ins (new and repeated sessions), failures, changes, bad records. */
function syntheticEvent(topic: string, n: number): InRecord {
  const account = ACCOUNTS[n % ACCOUNTS.length]!;
  if (n % 97 === 0) return inRecord(topic, account, '{"event_id": 42, "type": "login.succeeded"');
  const base = {
    event_id: `warm-${n}`,
    schema_version: 1,
    occurred_at: new Date(Date.now() - 1_000).toISOString(),
    account_id: account,
    product: 'chatgpt',
    client: {
      ip: ADDRESSES[n % ADDRESSES.length],
      user_agent: USER_AGENTS[(n >> 2) % USER_AGENTS.length],
      device_id: `dev-${n % 7}`,
    },
    source: 'warm-up',
  };
  const kind = n % 10;
  if (kind < 6)
    return inRecord(topic, account, {
      ...base,
      type: 'login.succeeded',
      auth: { method: n % 5 === 0 ? 'password' : 'passkey' },
      session_id: `s-${n % 3 === 0 ? n - 3 : n}`,
    });
  if (kind < 9)
    return inRecord(topic, account, {
      ...base,
      type: 'login.failed',
      auth: { method: 'password', failure_reason: 'bad_password' },
    });
  return inRecord(topic, account, {
    ...base,
    type: 'credential.added',
    auth: { method: 'passkey', credential_id: `cred-${n % 5}` },
  });
}

function inRecord(topic: string, key: string, value: unknown): InRecord {
  const message = {
    key: Buffer.from(key),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    timestamp: String(Date.now()),
    offset: '0',
    attributes: 0,
    headers: {},
  } as KafkaMessage;
  return { topic, partition: 0, message };
}
