import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { decodeAccountSecurity } from '../contracts/decode.js';
import type { NotificationRequest } from '../contracts/notification.js';
import { channelsFor } from '../contracts/profile-channels.js';
import type { TrainingExclusion } from '../contracts/records.js';
import type { ChunkHandler, InRecord } from '../kafka/consumer-loop.js';
import { createDeadLetters, Outputs } from '../kafka/dlq.js';
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
  config: Pick<Config, 'topics'> & Partial<Pick<Config, 'channelRoutes'>>,
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
    const request: NotificationRequest = {
      id: alertId('account_change', account, `enrolled@${next.updated_at}`),
      account_id: account,
      kind: 'enrolled',
      channels,
      occurred_at: next.updated_at,
      requested_at: new Date(now).toISOString(),
    };
    out.push({ topic: topics.notifications, key: account, value: request });
  }
  return out;
}

/**
 * account.security → the profile view in the store. Last write (by updated_at) wins; a tombstone
 * deletes everything held about the account; an enrollment change publishes the training
 * exclusion and asks for an `enrolled` confirmation. A record that is invalid, or whose processing
 * throws, is dead-lettered and the records behind it (and the start-up catch-up) go on.
 */
export function createAccountProfilesHandler(deps: AccountProfilesDeps): ChunkHandler {
  const { store, publisher, config, log } = deps;
  const now = deps.now ?? Date.now;
  const dead = createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics: deps.metrics, now });

  /** A stored profile; one that cannot be parsed counts as none, so the record at hand replaces it. */
  const parseStored = (account: string, text: string | undefined): AccountSecurity | undefined => {
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as AccountSecurity;
    } catch {
      log.warn({ code: 'INVALID_EVENT', account }, 'stored profile is not JSON; replaced by the next one');
      return undefined;
    }
  };

  return async (records) => {
    const out = new Outputs();
    const changed = new Set<string>();
    const tombstones: string[] = [];
    const accounts = [...new Set(records.map((r) => r.message.key?.toString('utf8') ?? ''))].filter(Boolean);
    const stored = await store.read(accounts.flatMap((a) => [keys.profile(a), keys.excluded(a)]));
    // Latest profile per account within the chunk, and the enrollment last published for it.
    const current = new Map<string, AccountSecurity | undefined>();
    const published = new Map<string, boolean>();
    for (const [i, a] of accounts.entries()) {
      current.set(a, parseStored(a, stored[2 * i]));
      published.set(a, stored[2 * i + 1] === 'true');
    }

    for (const r of records) {
      const key = r.message.key?.toString('utf8') ?? '';
      const effects = deps.sideEffects?.(r) ?? true;
      if (r.message.value === null) {
        if (!key) continue;
        tombstones.push(key);
        current.set(key, undefined);
        published.set(key, false);
        changed.delete(key);
        // Compaction then forgets the account on the exclusions topic too.
        if (effects) out.add({ topic: config.topics.trainingExclusions, key, value: null }, r);
        continue;
      }
      const decoded = decodeAccountSecurity(r.message.value);
      if (!decoded.ok || (key && decoded.value.account_id !== key)) {
        const error = decoded.ok
          ? { code: 'INVALID_EVENT', message: `record key "${key.slice(0, 200)}" differs from account_id` }
          : decoded;
        out.add(dead.record(r, error), r);
        continue;
      }
      const next = decoded.value;
      const account = next.account_id;
      try {
        const previous = current.get(account);
        if (previous && Date.parse(previous.updated_at) > Date.parse(next.updated_at)) continue;
        // Compared with what was last *published*, not with the previous profile: a crash after the
        // profile was stored but before the exclusion went out is repaired on replay.
        const flips = published.get(account) !== next.advanced_security.enrolled;
        const outputs = flips && effects ? enrollmentOutputs(next, config, now()) : [];
        current.set(account, next);
        changed.add(account);
        if (flips) published.set(account, next.advanced_security.enrolled);
        for (const o of outputs) out.add(o, r);
      } catch (err) {
        const message = `processing failed: ${err instanceof Error ? err.message : String(err)}`;
        out.add(dead.record(r, { code: 'PROCESSING_FAILED', message }), r);
      }
    }

    // Deletions first: a tombstone followed by a new profile in the same chunk keeps the new one.
    for (const account of tombstones) {
      const removed = await store.deleteAccount(account);
      deps.log.info({ removed }, 'account tombstone: state deleted');
    }
    // The profile is stored before anything is published, so every consumer of the requests and
    // of the exclusions finds it; the published enrollment is recorded last.
    const profiles: WriteOp[] = [];
    const marks: WriteOp[] = [];
    for (const account of changed) {
      const profile = current.get(account);
      if (!profile) continue;
      profiles.push({ op: 'set', key: keys.profile(account), value: JSON.stringify(profile) });
      marks.push({
        op: 'set',
        key: keys.excluded(account),
        value: String(published.get(account) === true),
        guard: keys.profile(account),
      });
    }
    await store.write(profiles);
    await dead.publish(out);
    await store.write(marks);
  };
}
