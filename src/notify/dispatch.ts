import type { Channel, ChannelName } from '../channels/channel.js';
import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { decodeJson } from '../contracts/decode.js';
import type { NotificationRequest } from '../contracts/notification.js';
import { NotificationRequestSchema } from '../contracts/notification.js';
import type { DeliveryReceipt, ReceiptStatus } from '../contracts/records.js';
import { type AppError, toAppError } from '../errors.js';
import type { Metrics } from '../http/metrics.js';
import type { ChunkHandler } from '../kafka/consumer-loop.js';
import { toDlqRecord } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import type { Logger } from '../log/logger.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';
import { backoffDelayMs, retryTier } from './backoff.js';
import { buildDelivery, recipientsFor } from './deliveries.js';
import { reportUrl, signLink } from './links.js';
import type { Renderer } from './render.js';

/** One delivery of one notice to one recipient; what the retry topic carries. */
export interface DeliveryJob {
  request: NotificationRequest;
  channel: ChannelName;
  recipient: string;
  attempt: number;
  due_at: string;
  last_error?: string;
}

export interface DispatcherDeps {
  channel: ChannelName;
  sender: Channel;
  store: Store;
  publisher: Publisher;
  renderer: Renderer;
  config: Pick<Config, 'topics' | 'links' | 'delivery' | 'windows'>;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  retryPartitions?: number;
  concurrency?: number;
  /** Claim lease: longer than any send may take, so a live sender is never raced. */
  leaseMs?: number;
}

export interface Dispatcher {
  /** Handler for login-alerts.notifications in this channel's own consumer group. */
  requests: ChunkHandler;
  /** Runs one job (first attempt or retry) and makes its outcome durable. */
  run(job: DeliveryJob): Promise<void>;
}

/**
 * Deliver = check the delivery log → claim → render → send → classify → record. The claim is
 * keyed by (alert, channel, recipient); `sent` is written after the provider accepted, so a crash
 * between claim and send re-sends once the lease lapses, and nothing is sent twice otherwise.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { channel, sender, store, publisher, renderer, config, log } = deps;
  const now = deps.now ?? Date.now;
  const leaseMs = deps.leaseMs ?? 60_000;
  const partitions = deps.retryPartitions ?? 6;

  const receipt = (
    job: DeliveryJob,
    status: ReceiptStatus,
    extra: Partial<DeliveryReceipt> = {},
  ): OutRecord => {
    deps.metrics?.deliveries.inc({ channel, status });
    const value: DeliveryReceipt = {
      alert_id: job.request.id,
      channel,
      status,
      attempts: job.attempt,
      at: new Date(now()).toISOString(),
      ...extra,
    };
    return { topic: config.topics.deliveries, key: job.request.account_id, value };
  };

  const retryOrFail = (job: DeliveryJob, err: AppError): OutRecord[] => {
    if (err.retryable && job.attempt < config.delivery.maxAttempts) {
      const delay = backoffDelayMs(config.delivery.backoffMs, job.attempt + 1, Math.random, err.retryAfterS);
      const next: DeliveryJob = {
        ...job,
        attempt: job.attempt + 1,
        due_at: new Date(now() + delay).toISOString(),
        last_error: err.code,
      };
      const partition = retryTier(config.delivery.backoffMs, delay, partitions);
      return [
        // The tier is the partition itself: keyed by tier, the default partitioner hashed tiers 0
        // and 2 onto one partition, so short retries queued behind long ones.
        {
          topic: config.topics.retry,
          key: job.request.account_id,
          partition,
          value: next,
          headers: { tier: String(partition) },
        },
        receipt(job, 'failed', { error_code: err.code }),
      ];
    }
    const code = err.retryable ? 'RETRIES_EXHAUSTED' : err.code;
    const dlq = toDlqRecord(
      { topic: config.topics.retry, partition: -1 },
      {
        key: Buffer.from(job.request.account_id),
        value: Buffer.from(JSON.stringify(job)),
        headers: {},
        offset: '-1',
      },
      { code, message: err.message },
      now(),
    );
    return [
      { topic: config.topics.dlq, key: job.request.account_id, value: dlq },
      receipt(job, 'failed', { error_code: code }),
    ];
  };

  async function run(job: DeliveryJob): Promise<void> {
    const account = job.request.account_id;
    const deliveryKey = keys.delivery(account, job.request.id, channel, job.recipient);
    const [profileText, suppressed] = await store.read([
      keys.profile(account),
      channel === 'sms' ? keys.smsSuppressed(account, job.recipient) : '',
    ]);
    const profile = profileText ? (JSON.parse(profileText) as AccountSecurity) : undefined;
    // Deleted or unenrolled since the alert was decided: nobody to tell any more.
    if (!profile?.advanced_security.enrolled || !recipientsFor(channel, profile).includes(job.recipient))
      return;
    if (suppressed) {
      await publisher.publish([receipt(job, 'suppressed', { error_code: 'RECIPIENT_UNSUBSCRIBED' })]);
      return;
    }
    const [claimed] = await store.claim([{ key: deliveryKey, value: 'claimed', ttlMs: leaseMs }]);
    if (!claimed) {
      const [state] = await store.read([deliveryKey]);
      if (state === 'claimed') {
        // A sender (maybe one that crashed) holds the lease: look again after it lapses.
        const wait = { ...job, due_at: new Date(now() + leaseMs).toISOString() };
        const partition = retryTier(config.delivery.backoffMs, leaseMs, partitions);
        await publisher.publish([{ topic: config.topics.retry, key: account, partition, value: wait }]);
      }
      return;
    }

    const out: OutRecord[] = [];
    let outcome: 'sent' | 'done' | 'retry' = 'done';
    try {
      const expiresAt = Math.floor((now() + config.links.ttlMs) / 1000);
      const locale = profile.preferences?.locale;
      const token = signLink(
        { alertId: job.request.id, accountId: account, expiresAt, locale },
        config.links.secret,
      );
      const url = reportUrl(config.links.publicBaseUrl, token);
      const alert = job.request.alert;
      const rendered = renderer.render({
        kind: job.request.kind,
        locale,
        timeZone: profile.preferences?.timezone,
        occurredAt: job.request.occurred_at,
        product: alert?.product,
        method: alert?.auth_method,
        device: alert?.device,
        geo: alert?.geo,
        severity: alert?.severity ?? 'info',
        reasons: alert?.reasons ?? [],
        failureCount: alert?.failure_count,
        change: alert?.event_type as never,
        reportUrl: url,
        settingsUrl: `${config.links.publicBaseUrl}/settings`,
      });
      const delivery = buildDelivery(channel, job.recipient, job.request, profile, rendered, url);
      if (!delivery) return;
      const result = await sender.send(delivery);
      outcome = 'sent';
      out.push(
        receipt(
          job,
          'sent',
          result.providerMessageId ? { provider_message_id: result.providerMessageId } : {},
        ),
      );
      if (deps.metrics) {
        deps.metrics.endToEnd.observe(
          { stage: 'sent' },
          (now() - Date.parse(job.request.requested_at)) / 1000,
        );
      }
    } catch (thrown) {
      const err = toAppError(thrown);
      log.warn(
        { code: err.code, retryable: err.retryable, channel, attempt: job.attempt },
        'delivery failed',
      );
      if (err.code === 'SUBSCRIPTION_GONE') {
        await dropSubscription(store, profile, job.recipient);
        out.push(receipt(job, 'expired', { error_code: err.code }));
      } else if (err.code === 'RECIPIENT_UNSUBSCRIBED') {
        await store.write([
          {
            op: 'set',
            key: keys.smsSuppressed(account, job.recipient),
            value: '1',
            guard: keys.profile(account),
          },
        ]);
        out.push(receipt(job, 'suppressed', { error_code: err.code }));
      } else {
        const records = retryOrFail(job, err);
        if (records[0]?.topic === config.topics.retry) outcome = 'retry';
        out.push(...records);
      }
    }
    await publisher.publish(out);
    // Sent (or finally settled): remember it for the dedupe window. Retrying: free the claim.
    if (outcome === 'retry') await store.write([{ op: 'del', key: deliveryKey }]);
    else
      await store.write([
        {
          op: 'set',
          key: deliveryKey,
          value: outcome,
          ttlMs: Math.max(config.windows.sessionDedupeMs, config.links.ttlMs),
          guard: keys.profile(account),
        },
      ]);
  }

  const requests: ChunkHandler = async (records) => {
    const jobs: DeliveryJob[] = [];
    const accounts = [...new Set(records.map((r) => r.message.key?.toString('utf8') ?? ''))];
    const profiles = await store.read(accounts.map((a) => keys.profile(a)));
    const byAccount = new Map(accounts.map((a, i) => [a, profiles[i]]));
    for (const r of records) {
      const json = decodeJson(r.message.value, 256 * 1024);
      const parsed = NotificationRequestSchema.safeParse(json.ok ? json.value : undefined);
      if (!parsed.success || !parsed.data.channels.includes(channel)) continue;
      const text = byAccount.get(parsed.data.account_id);
      if (!text) continue;
      for (const recipient of recipientsFor(channel, JSON.parse(text) as AccountSecurity)) {
        jobs.push({ request: parsed.data, channel, recipient, attempt: 1, due_at: parsed.data.requested_at });
      }
    }
    await runAll(jobs, deps.concurrency ?? 16, run);
  };

  return { requests, run };
}

async function dropSubscription(store: Store, profile: AccountSecurity, endpoint: string): Promise<void> {
  const subs = profile.contacts?.push_subscriptions ?? [];
  const next = {
    ...profile,
    contacts: { ...profile.contacts, push_subscriptions: subs.filter((s) => s.endpoint !== endpoint) },
  };
  // Guarded by itself: a profile deleted meanwhile is not brought back.
  const key = keys.profile(profile.account_id);
  await store.write([{ op: 'set', key, value: JSON.stringify(next), guard: key }]);
}

/** Runs jobs with bounded concurrency; the first failure (e.g. store down) is rethrown after all settle. */
async function runAll<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure;
}
