// Settle: each outcome as the records to publish and the delivery-log writes to make; `commit`
// then makes a whole batch durable.
import type { DeliveryJob } from '../../contracts/notification.js';
import { Outputs, toDlqRecord } from '../../kafka/dlq.js';
import type { OutRecord } from '../../kafka/publisher.js';
import { keys } from '../../state/keys.js';
import { backoffDelayMs, retryTier } from '../backoff.js';
import type { Outcome } from './classify.js';
import { type BatchOutput, type DispatchContext, deliveryKey, markTtlMs, receipt } from './context.js';
import { type Profiles, withoutSubscriptions } from './profiles.js';

/**
 * Appends what `outcome` means for `job` to the batch. `sent` is written only after the provider
 * accepted (and after `record` wrote it `accepted`), once its receipt is published; a retried job
 * frees its claim so the retried attempt can take it.
 */
export function settle(ctx: DispatchContext, job: DeliveryJob, outcome: Outcome, batch: BatchOutput): void {
  const account = job.request.account_id;
  const mark = (value: 'sent' | 'done'): void => {
    const ttlMs = markTtlMs(ctx);
    batch.writes.push({ op: 'set', key: deliveryKey(ctx, job), value, ttlMs, guard: keys.profile(account) });
  };
  switch (outcome.kind) {
    case 'sent': {
      const id = outcome.providerMessageId;
      batch.out.push(receipt(ctx, job, 'sent', id ? { provider_message_id: id } : {}));
      mark('sent');
      const age = (ctx.now() - Date.parse(job.request.requested_at)) / 1000;
      ctx.metrics?.endToEnd.observe({ stage: 'sent' }, age);
      return;
    }
    case 'skipped':
      mark('done');
      return;
    case 'gone':
      batch.goneSubscriptions.push({ account, endpoint: job.recipient });
      batch.out.push(receipt(ctx, job, 'expired', { error_code: outcome.code }));
      mark('done');
      return;
    case 'suppressed': {
      const key = keys.smsSuppressed(account, job.recipient);
      batch.writes.push({ op: 'set', key, value: '1', guard: keys.profile(account) });
      batch.out.push(receipt(ctx, job, 'suppressed', { error_code: outcome.code }));
      mark('done');
      return;
    }
    case 'retry':
      batch.out.push(
        retryRecord(ctx, job, outcome),
        receipt(ctx, job, 'failed', { error_code: outcome.code }),
      );
      batch.writes.push({ op: 'del', key: deliveryKey(ctx, job) });
      return;
    case 'dead-letter':
      batch.out.push(
        deadLetterRecord(ctx, job, outcome),
        receipt(ctx, job, 'failed', { error_code: outcome.code }),
      );
      mark('done');
      return;
  }
}

/** The next attempt on login-alerts.retry, due after the backoff (or the provider's Retry-After). */
function retryRecord(
  ctx: DispatchContext,
  job: DeliveryJob,
  outcome: Outcome & { kind: 'retry' },
): OutRecord {
  const steps = ctx.config.delivery.backoffMs;
  const delay = backoffDelayMs(steps, job.attempt + 1, Math.random, outcome.retryAfterS);
  const next: DeliveryJob = {
    ...job,
    attempt: job.attempt + 1,
    due_at: new Date(ctx.now() + delay).toISOString(),
    last_error: outcome.code,
  };
  // The tier is the partition itself: keyed by tier, the default partitioner could hash two tiers
  // onto one partition, and short retries would queue behind long ones.
  const partition = retryTier(steps, delay, ctx.partitions);
  const headers = { tier: String(partition) };
  return { topic: ctx.config.topics.retry, key: job.request.account_id, partition, value: next, headers };
}

function deadLetterRecord(
  ctx: DispatchContext,
  job: DeliveryJob,
  outcome: Outcome & { kind: 'dead-letter' },
): OutRecord {
  const dlq = toDlqRecord(
    { topic: ctx.config.topics.retry, partition: -1 },
    {
      key: Buffer.from(job.request.account_id),
      value: Buffer.from(JSON.stringify(job)),
      headers: {},
      offset: '-1',
    },
    { code: outcome.code, message: outcome.message },
    ctx.now(),
  );
  return { topic: ctx.config.topics.dlq, key: job.request.account_id, value: dlq };
}

/**
 * Once every send of a batch is over: the subscriptions the push service called gone leave their
 * profiles, by a write that goes first and only while the profile is still the one read.
 */
export function dropGoneSubscriptions(batch: BatchOutput, profiles: Profiles): void {
  for (const [account, endpoints] of groupBy(batch.goneSubscriptions)) {
    const profile = profiles.get(account);
    if (profile) batch.writes.unshift(withoutSubscriptions(profile, endpoints));
  }
}

/**
 * Makes a settled batch durable: the receipts are published first, and only then is the delivery
 * log written, so a crash in between leaves an accepted send `accepted` (its receipt is published
 * again by whoever finds it, see claim) and any other outcome to be attempted again. A commit
 * repeated after the store failed publishes nothing again: each outcome has one receipt.
 */
export async function commit(ctx: DispatchContext, batch: BatchOutput): Promise<void> {
  if (!batch.published) {
    await ctx.dead.publish(Outputs.of(batch.out));
    batch.published = true;
  }
  await ctx.store.write(batch.writes);
}

function groupBy(items: { account: string; endpoint: string }[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const { account, endpoint } of items) map.set(account, (map.get(account) ?? new Set()).add(endpoint));
  return map;
}
