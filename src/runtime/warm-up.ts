import type { Channel, ChannelName } from '../channels/channel.js';
import type { InRecord } from '../kafka/consumer-loop.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import { createDispatcher } from '../notify/dispatch.js';
import { silentLogger } from '../observe/logger.js';
import { createAccountProfilesHandler } from '../pipeline/account-profiles.js';
import { EnrolledDirectory } from '../pipeline/enrolled-directory.js';
import { createLoginEventsHandler } from '../pipeline/login-events.js';
import { inRecord, syntheticEvent } from '../pipeline/synthetic.js';
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
  // Its own directory, of the synthetic profiles: the select stage runs as it will for real events.
  const directory = new EnrolledDirectory();
  for (const [i, a] of ACCOUNTS.entries())
    directory.apply({ partition: 0, offset: String(i), key: a, value: JSON.stringify(profileOf(a, i)) });
  // Named one by one: the services the caller holds also carry the process's metrics and outcome
  // log, which the synthetic events must not reach.
  const decide = createLoginEventsHandler({
    devices: services.devices,
    geo: services.geo,
    config,
    store,
    publisher: sink,
    directory,
    log,
  });
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
    // At least one chunk, however long the set-up took: the budget bounds the start, it must not
    // leave the code unexercised.
    do {
      const chunk: InRecord[] = [];
      for (let i = 0; i < 50; i++, offset++)
        chunk.push(syntheticEvent(config.topics.authEvents, offset, MIX));
      sink.records.length = 0;
      await decide(chunk);
      const requests = sink.records
        .filter((r) => r.topic === config.topics.notifications)
        .map((r) => inRecord(r.topic, r.key, r.value, r.headers));
      notices += requests.length;
      deadLetters += sink.records.filter((r) => r.topic === config.topics.dlq).length;
      for (const d of dispatchers) await (await d.requests(requests))?.finish();
      events += chunk.length;
    } while (events < maxEvents && performance.now() - started < budgetMs);
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
const MIX = { accounts: ACCOUNTS, source: 'warm-up' };
const LOCALES = ['en', 'pt-BR', 'en-US', 'de'];
const ZONES = ['UTC', 'America/Sao_Paulo', 'Europe/Berlin', 'Asia/Tokyo'];
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
