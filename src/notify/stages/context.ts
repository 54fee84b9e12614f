// What every delivery stage shares: the dispatcher's dependencies with their defaults filled in,
// and the batch the stages append to. A stage reads the context and appends; only `commit` does I/O
// on the batch.
import type { Channel, ChannelName } from '../../channels/channel.js';
import type { Config } from '../../config/config.js';
import type { AccountSecurity } from '../../contracts/account-security.js';
import type { DeliveryJob } from '../../contracts/notification.js';
import type { DeliveryReceipt, ReceiptStatus } from '../../contracts/records.js';
import { createDeadLetters, type DeadLetters } from '../../kafka/dlq.js';
import type { OutRecord, Publisher } from '../../kafka/publisher.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import { keys } from '../../state/keys.js';
import type { Store, WriteOp } from '../../state/store.js';
import { createRecorder, type Recorder } from '../recorder.js';
import { createSlots, type Slots } from '../slots.js';
import type { Renderer } from '../types.js';

/**
 * Sends of one dispatcher (first attempts and retries, every batch) that may be under way at once.
 * A slot is held from the send until its outcome is in the delivery log, so this also bounds how
 * many sends a crash can leave done but unrecorded, and so sent again by whoever takes over.
 */
export const SEND_SLOTS = 64;

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
  /** Sends under way at once, over all batches (default SEND_SLOTS). */
  concurrency?: number;
  /** Claim lease: longer than any send may take, so a live sender is never raced. */
  leaseMs?: number;
}

export interface DispatchContext
  extends Omit<DispatcherDeps, 'now' | 'retryPartitions' | 'leaseMs' | 'concurrency'> {
  now: () => number;
  leaseMs: number;
  partitions: number;
  dead: DeadLetters;
  slots: Slots;
  recorder: Recorder;
}

export function dispatchContext(deps: DispatcherDeps): DispatchContext {
  const now = deps.now ?? Date.now;
  const { publisher, config, log, metrics } = deps;
  return {
    ...deps,
    now,
    leaseMs: deps.leaseMs ?? 60_000,
    partitions: deps.retryPartitions ?? 6,
    slots: createSlots(deps.concurrency ?? SEND_SLOTS),
    recorder: createRecorder(deps.store),
    dead: createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics, now }),
  };
}

/** One job that passed selection: its profile and its delivery-log key. */
export interface Candidate {
  job: DeliveryJob;
  profile: AccountSecurity;
  key: string;
}

/** What a batch of deliveries publishes and writes once its sends are over. */
export interface BatchOutput {
  out: OutRecord[];
  writes: WriteOp[];
  goneSubscriptions: { account: string; endpoint: string }[];
  /** set once `out` is on the broker: a repeated commit writes the delivery log only */
  published?: boolean;
}

/** How long a `sent` or `done` mark keeps its key from being sent again. */
export function markTtlMs(ctx: DispatchContext): number {
  return Math.max(ctx.config.windows.sessionDedupeMs, ctx.config.links.ttlMs);
}

/** The delivery log's key: one per (alert, channel, recipient). */
export function deliveryKey(ctx: DispatchContext, job: DeliveryJob): string {
  return keys.delivery(job.request.account_id, job.request.id, ctx.channel, job.recipient);
}

/** A receipt on login-alerts.deliveries, counted as it is made. */
export function receipt(
  ctx: DispatchContext,
  job: DeliveryJob,
  status: ReceiptStatus,
  extra: Partial<DeliveryReceipt> = {},
): OutRecord {
  ctx.metrics?.deliveries.inc({ channel: ctx.channel, status });
  const value: DeliveryReceipt = {
    alert_id: job.request.id,
    channel: ctx.channel,
    status,
    attempts: job.attempt,
    at: new Date(ctx.now()).toISOString(),
    ...extra,
  };
  return { topic: ctx.config.topics.deliveries, key: job.request.account_id, value };
}
