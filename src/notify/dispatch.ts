import type { Channel, ChannelName, Delivery } from '../channels/channel.js';
import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { CHANNELS } from '../contracts/account-security.js';
import { decodeJson, formatIssues } from '../contracts/decode.js';
import type { DeliveryJob, NotificationRequest } from '../contracts/notification.js';
import { NotificationRequestSchema } from '../contracts/notification.js';
import type { DeliveryReceipt, ReceiptStatus } from '../contracts/records.js';
import { AppError, toAppError } from '../errors.js';
import type { ChunkHandler, ChunkTail } from '../kafka/consumer-loop.js';
import { createDeadLetters, Outputs, toDlqRecord } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { keys } from '../state/keys.js';
import type { Store, WriteOp } from '../state/store.js';
import { backoffDelayMs, retryTier } from './backoff.js';
import { buildDelivery, recipientsFor } from './deliveries.js';
import { reportUrl, signLink } from './links.js';
import type { Renderer } from './render.js';

export type { DeliveryJob };

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
  const dead = createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics: deps.metrics, now });

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

  const deliveryKey = (job: DeliveryJob) =>
    keys.delivery(job.request.account_id, job.request.id, channel, job.recipient);
  const readProfiles = async (accounts: string[]): Promise<Map<string, StoredProfile | undefined>> => {
    const texts = await store.read(accounts.map((a) => keys.profile(a)));
    return new Map(
      accounts.map((a, i) => {
        const text = texts[i];
        return [a, text ? { value: JSON.parse(text) as AccountSecurity, text } : undefined];
      }),
    );
  };

  /**
   * Sign → render → build the delivery. Pure over the job and the profile: whatever it throws is a
   * PROCESSING_FAILED that no retry can fix, so the job is dead-lettered at once.
   */
  function prepare(job: DeliveryJob, profile: AccountSecurity): Delivery | undefined {
    try {
      const account = job.request.account_id;
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
      return buildDelivery(channel, job.recipient, job.request, profile, rendered, url);
    } catch (err) {
      const code = err instanceof AppError ? `${err.code}: ` : '';
      throw new AppError('PROCESSING_FAILED', `rendering failed: ${code}${(err as Error)?.message ?? err}`, {
        retryable: false,
        cause: err,
      });
    }
  }

  /** Render → sign → send one claimed job; returns what to publish and what to write, never throws for a provider. */
  async function attempt(job: DeliveryJob, profile: AccountSecurity, batch: BatchOutput): Promise<void> {
    const account = job.request.account_id;
    const settle = (value: 'sent' | 'done'): void => {
      batch.writes.push({
        op: 'set',
        key: deliveryKey(job),
        value,
        ttlMs: Math.max(config.windows.sessionDedupeMs, config.links.ttlMs),
        guard: keys.profile(account),
      });
    };
    try {
      const delivery = prepare(job, profile);
      if (!delivery) return settle('done');
      const result = await sender.send(delivery);
      batch.out.push(
        receipt(
          job,
          'sent',
          result.providerMessageId ? { provider_message_id: result.providerMessageId } : {},
        ),
      );
      settle('sent');
      deps.metrics?.endToEnd.observe(
        { stage: 'sent' },
        (now() - Date.parse(job.request.requested_at)) / 1000,
      );
    } catch (thrown) {
      const err = toAppError(thrown);
      log.warn(
        { code: err.code, retryable: err.retryable, channel, attempt: job.attempt },
        'delivery failed',
      );
      if (err.code === 'SUBSCRIPTION_GONE') {
        batch.goneSubscriptions.push({ account, endpoint: job.recipient });
        batch.out.push(receipt(job, 'expired', { error_code: err.code }));
        settle('done');
      } else if (err.code === 'RECIPIENT_UNSUBSCRIBED') {
        batch.writes.push({
          op: 'set',
          key: keys.smsSuppressed(account, job.recipient),
          value: '1',
          guard: keys.profile(account),
        });
        batch.out.push(receipt(job, 'suppressed', { error_code: err.code }));
        settle('done');
      } else {
        const records = retryOrFail(job, err);
        batch.out.push(...records);
        // Retrying: free the claim so the retried attempt can take it.
        if (records[0]?.topic === config.topics.retry)
          batch.writes.push({ op: 'del', key: deliveryKey(job) });
        else settle('done');
      }
    }
  }

  /**
   * Delivers a batch of jobs with a fixed number of store and broker round trips, however many jobs:
   * one read (profiles, SMS opt-outs), one claim, the sends (concurrently), one publish, one write.
   * Resolves once the jobs are claimed and their sends started; `finish` then waits for the sends and
   * makes the receipts and the `sent` marks durable (safe to call again: the sends are not repeated).
   */
  async function deliverAll(
    jobs: DeliveryJob[],
    known?: Map<string, StoredProfile | undefined>,
  ): Promise<ChunkTail | undefined> {
    if (jobs.length === 0) return undefined;
    const accounts = [...new Set(jobs.map((j) => j.request.account_id))];
    const profiles = known ?? (await readProfiles(accounts));
    const batch: BatchOutput = { out: [], writes: [], goneSubscriptions: [] };
    const optedOut =
      channel === 'sms'
        ? await store.read(jobs.map((j) => keys.smsSuppressed(j.request.account_id, j.recipient)))
        : [];
    const candidates: { job: DeliveryJob; profile: AccountSecurity; key: string }[] = [];
    const seen = new Set<string>();
    for (const [i, job] of jobs.entries()) {
      const profile = profiles.get(job.request.account_id)?.value;
      // Deleted or unenrolled since the alert was decided: nobody to tell any more.
      if (!profile?.advanced_security.enrolled || !recipientsFor(channel, profile).includes(job.recipient))
        continue;
      if (optedOut[i]) {
        batch.out.push(receipt(job, 'suppressed', { error_code: 'RECIPIENT_UNSUBSCRIBED' }));
        continue;
      }
      const key = deliveryKey(job);
      if (seen.has(key)) continue; // the same request twice in one batch
      seen.add(key);
      candidates.push({ job, profile, key });
    }
    const claimed = await store.claim(
      candidates.map((c) => ({ key: c.key, value: 'claimed', ttlMs: leaseMs })),
    );
    const taken = candidates.filter((_, i) => !claimed[i]);
    if (taken.length > 0) {
      const states = await store.read(taken.map((c) => c.key));
      for (const [i, { job }] of taken.entries()) {
        if (states[i] !== 'claimed') continue; // already sent or settled
        // A sender (maybe one that crashed) holds the lease: look again after it lapses.
        const partition = retryTier(config.delivery.backoffMs, leaseMs, partitions);
        const wait = { ...job, due_at: new Date(now() + leaseMs).toISOString() };
        batch.out.push({ topic: config.topics.retry, key: job.request.account_id, partition, value: wait });
      }
    }
    const mine = candidates.filter((_, i) => claimed[i]);
    // Started now, awaited by `finish`: the consumer fetches the next requests while these go out, so
    // a slow provider call holds back no other delivery (the offset waits for `finish`).
    const sent = runAll(mine, deps.concurrency ?? 16, (c) => attempt(c.job, c.profile, batch)).then(() => {
      for (const [account, endpoints] of groupBy(batch.goneSubscriptions)) {
        const profile = profiles.get(account);
        if (profile) batch.writes.unshift(withoutSubscriptions(profile, endpoints));
      }
    });
    sent.catch(() => {}); // reported by finish
    return {
      finish: async () => {
        await sent;
        await dead.publish(Outputs.of(batch.out));
        // Sent (or finally settled): remembered for the dedupe window, after the receipts are durable.
        await store.write(batch.writes);
      },
    };
  }

  const requests: ChunkHandler = async (records) => {
    // Every channel's group reads every request: look at the channel list before validating it all,
    // and read profiles only for the requests that are this channel's.
    const mine: NotificationRequest[] = [];
    const malformed = new Outputs();
    for (const r of records) {
      const read = readRequest(r.message.value, channel);
      if ('request' in read) mine.push(read.request);
      else if ('error' in read) malformed.add(dead.record(r, read.error), r);
    }
    if (malformed.records.length > 0) await dead.publish(malformed);
    if (mine.length === 0) return;
    const profiles = await readProfiles([...new Set(mine.map((m) => m.account_id))]);
    const jobs: DeliveryJob[] = [];
    for (const request of mine) {
      const profile = profiles.get(request.account_id)?.value;
      if (!profile) continue;
      for (const recipient of recipientsFor(channel, profile)) {
        jobs.push({ request, channel, recipient, attempt: 1, due_at: request.requested_at });
      }
    }
    return deliverAll(jobs, profiles);
  };

  return { requests, run: async (job) => (await deliverAll([job]))?.finish() };
}

/**
 * A notification record as one channel's dispatcher sees it: a request for this channel, nothing to
 * do, or malformed. Every channel's group reads every record, so a malformed one is dead-lettered by
 * one group only: that of the first channel it names, or of the first channel when it names none.
 */
function readRequest(
  value: Buffer | null,
  channel: ChannelName,
): { request: NotificationRequest } | { error: { code: string; message: string } } | { skip: true } {
  const json = decodeJson(value, 256 * 1024);
  const object = json.ok && typeof json.value === 'object' && json.value !== null ? json.value : null;
  const listed = object === null ? undefined : (object as { channels?: unknown }).channels;
  const named = Array.isArray(listed) ? CHANNELS.filter((c) => listed.includes(c)) : [];
  const owner = named[0] ?? CHANNELS[0];
  if (!named.includes(channel) && owner !== channel) return { skip: true };
  if (!json.ok) return { error: json };
  const parsed = NotificationRequestSchema.safeParse(object);
  if (!parsed.success) {
    if (owner !== channel) return { skip: true };
    return { error: { code: 'INVALID_EVENT', message: formatIssues(parsed.error.issues) } };
  }
  return parsed.data.channels.includes(channel) ? { request: parsed.data } : { skip: true };
}

interface BatchOutput {
  out: OutRecord[];
  writes: WriteOp[];
  goneSubscriptions: { account: string; endpoint: string }[];
}

function groupBy(items: { account: string; endpoint: string }[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const { account, endpoint } of items) map.set(account, (map.get(account) ?? new Set()).add(endpoint));
  return map;
}

/** A profile as read from the store: the parsed value and the exact text it was read as. */
interface StoredProfile {
  value: AccountSecurity;
  text: string;
}

/**
 * The profile without push subscriptions the push service said are gone, written only while the
 * stored profile is still the one read before the sends: a newer account.security update (or a
 * tombstone) that landed meanwhile wins, and a gone subscription it still lists is dropped the
 * next time a push to it fails.
 */
function withoutSubscriptions(profile: StoredProfile, gone: Set<string>): WriteOp {
  const subs = profile.value.contacts?.push_subscriptions ?? [];
  const next = {
    ...profile.value,
    contacts: { ...profile.value.contacts, push_subscriptions: subs.filter((s) => !gone.has(s.endpoint)) },
  };
  const key = keys.profile(profile.value.account_id);
  return { op: 'cas', key, expect: profile.text, value: JSON.stringify(next) };
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
