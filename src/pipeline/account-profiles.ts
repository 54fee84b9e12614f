import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { decodeAccountSecurity } from '../contracts/decode.js';
import { notificationRecord, notificationRequest } from '../contracts/notification.js';
import { channelsFor } from '../contracts/profile-channels.js';
import type { TrainingExclusion } from '../contracts/records.js';
import type { ChunkHandler, InRecord } from '../kafka/consumer-loop.js';
import { createDeadLetters, type DeadLetters, Outputs } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { keys } from '../state/keys.js';
import type { Store, WriteOp } from '../state/store.js';
import { alertId } from './alerts.js';

export interface AccountProfilesDeps {
  store: Store;
  publisher: Publisher;
  config: Pick<Config, 'topics'> & Partial<Pick<Config, 'channelRoutes'>>;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  /**
   * False while replaying history into a fresh in-memory view: the view is rebuilt, but the side
   * effects (exclusions, confirmations) already happened in an earlier life of the process.
   */
  sideEffects?: (record: InRecord) => boolean;
}

/** What an enrollment change publishes: the training exclusion and, when enrolling, a confirmation. */
function enrollmentOutputs(
  next: AccountSecurity,
  config: AccountProfilesDeps['config'],
  now: number,
): OutRecord[] {
  const { topics } = config;
  const account = next.account_id;
  const is = next.advanced_security.enrolled;
  const exclusion: TrainingExclusion = {
    account_id: account,
    excluded: is,
    reason: is ? 'advanced_security_enrolled' : 'advanced_security_unenrolled',
    changed_at: next.updated_at,
  };
  const out: OutRecord[] = [{ topic: topics.trainingExclusions, key: account, value: exclusion }];
  const channels = channelsFor(next, config.channelRoutes);
  if (is && channels.length > 0) {
    const request = notificationRequest({
      enrolled: {
        id: alertId('account_change', account, `enrolled@${next.updated_at}`),
        account_id: account,
        channels,
        occurred_at: next.updated_at,
        requested_at: new Date(now).toISOString(),
      },
    });
    out.push(notificationRecord(topics.notifications, request));
  }
  return out;
}

/** The chunk's view of its accounts: latest profile, enrollment last published, what to write. */
interface View {
  current: Map<string, AccountSecurity | undefined>;
  published: Map<string, boolean>;
  changed: Set<string>;
  tombstones: string[];
}

const keyOf = (r: InRecord): string => r.message.key?.toString('utf8') ?? '';

/** A stored profile; one that cannot be parsed counts as none, so the record at hand replaces it. */
function parseStored(log: Logger, account: string, text: string | undefined): AccountSecurity | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as AccountSecurity;
  } catch {
    log.warn({ code: 'INVALID_EVENT', account }, 'stored profile is not JSON; replaced by the next one');
    return undefined;
  }
}

/** Read state: each account's stored profile and the enrollment last published for it, in one read. */
async function readView(store: Store, log: Logger, records: InRecord[]): Promise<View> {
  const accounts = [...new Set(records.map(keyOf))].filter(Boolean);
  const stored = await store.read(accounts.flatMap((a) => [keys.profile(a), keys.excluded(a)]));
  const view: View = { current: new Map(), published: new Map(), changed: new Set(), tombstones: [] };
  for (const [i, a] of accounts.entries()) {
    view.current.set(a, parseStored(log, a, stored[2 * i]));
    view.published.set(a, stored[2 * i + 1] === 'true');
  }
  return view;
}

/**
 * What a valid profile does to the view: `stale` when an older one than held (ignored); `flips`
 * when its enrollment differs from what was last *published* (not from the previous profile), so
 * a crash after the profile was stored but before the exclusion went out is repaired on replay.
 */
export function decideProfile(view: View, next: AccountSecurity): { stale: boolean; flips: boolean } {
  const previous = view.current.get(next.account_id);
  if (previous && Date.parse(previous.updated_at) > Date.parse(next.updated_at))
    return { stale: true, flips: false };
  return { stale: false, flips: view.published.get(next.account_id) !== next.advanced_security.enrolled };
}

/** What one record's processing needs besides the record. */
interface Step {
  view: View;
  deps: AccountProfilesDeps;
  dead: DeadLetters;
  out: Outputs;
  now: () => number;
}

/** A tombstone: the account is forgotten, here and (by compaction) on the exclusions topic. */
function forget(r: InRecord, key: string, effects: boolean, { view, deps, out }: Step): void {
  view.tombstones.push(key);
  view.current.set(key, undefined);
  view.published.set(key, false);
  view.changed.delete(key);
  if (effects) out.add({ topic: deps.config.topics.trainingExclusions, key, value: null }, r);
}

/** Decode → decide → emit for one record; an invalid one, or one whose processing throws, is dead-lettered. */
function take(r: InRecord, step: Step): void {
  const { view, deps, dead, out } = step;
  const key = keyOf(r);
  const effects = deps.sideEffects?.(r) ?? true;
  if (r.message.value === null) {
    if (key) forget(r, key, effects, step);
    return;
  }
  const decoded = decodeAccountSecurity(r.message.value);
  if (!decoded.ok || (key && decoded.value.account_id !== key)) {
    const error = decoded.ok
      ? { code: 'INVALID_EVENT', message: `record key "${key.slice(0, 200)}" differs from account_id` }
      : decoded;
    out.add(dead.record(r, error), r);
    return;
  }
  const next = decoded.value;
  try {
    const { stale, flips } = decideProfile(view, next);
    if (stale) return;
    const outputs = flips && effects ? enrollmentOutputs(next, deps.config, step.now()) : [];
    view.current.set(next.account_id, next);
    view.changed.add(next.account_id);
    if (flips) view.published.set(next.account_id, next.advanced_security.enrolled);
    for (const o of outputs) out.add(o, r);
  } catch (err) {
    const message = `processing failed: ${err instanceof Error ? err.message : String(err)}`;
    out.add(dead.record(r, { code: 'PROCESSING_FAILED', message }), r);
  }
}

/**
 * Write state and emit. Deletions first: a tombstone followed by a new profile in the same chunk
 * keeps the new one. The profile is stored before anything is published, so every consumer of the
 * requests and of the exclusions finds it; the published enrollment is recorded last.
 */
async function settle(store: Store, log: Logger, view: View, dead: DeadLetters, out: Outputs): Promise<void> {
  for (const account of view.tombstones) {
    const removed = await store.deleteAccount(account);
    log.info({ removed }, 'account tombstone: state deleted');
  }
  const profiles: WriteOp[] = [];
  const marks: WriteOp[] = [];
  for (const account of view.changed) {
    const profile = view.current.get(account);
    if (!profile) continue;
    profiles.push({ op: 'set', key: keys.profile(account), value: JSON.stringify(profile) });
    marks.push({
      op: 'set',
      key: keys.excluded(account),
      value: String(view.published.get(account) === true),
      guard: keys.profile(account),
    });
  }
  await store.write(profiles);
  await dead.publish(out);
  await store.write(marks);
}

/**
 * account.security → the profile view in the store: read state → (per record) decode → decide →
 * emit → write state. Last write (by updated_at) wins; a tombstone deletes everything held about
 * the account; an enrollment change publishes the training exclusion and asks for an `enrolled`
 * confirmation. A record that is invalid, or whose processing throws, is dead-lettered and the
 * records behind it (and the start-up catch-up) go on.
 */
export function createAccountProfilesHandler(deps: AccountProfilesDeps): ChunkHandler {
  const { store, publisher, config, log } = deps;
  const now = deps.now ?? Date.now;
  const dead = createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics: deps.metrics, now });
  return async (records) => {
    const out = new Outputs();
    const view = await readView(store, log, records);
    const step: Step = { view, deps, dead, out, now };
    for (const r of records) take(r, step);
    await settle(store, log, view, dead, out);
  };
}
