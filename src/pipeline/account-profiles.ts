import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { decodeAccountSecurity } from '../contracts/decode.js';
import type { NotificationRequest } from '../contracts/notification.js';
import type { TrainingExclusion } from '../contracts/records.js';
import type { ChunkHandler, InRecord } from '../kafka/consumer-loop.js';
import { toDlqRecord } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import type { Logger } from '../log/logger.js';
import { channelsFor } from '../notify/plan.js';
import { keys } from '../state/keys.js';
import type { Store, WriteOp } from '../state/store.js';
import { alertId } from './alerts.js';

export interface AccountProfilesDeps {
  store: Store;
  publisher: Publisher;
  config: Pick<Config, 'topics'> & Partial<Pick<Config, 'channelRoutes'>>;
  log: Logger;
  now?: () => number;
  /**
   * False while replaying history into a fresh in-memory view: the view is rebuilt, but the side
   * effects (exclusions, confirmations) already happened in an earlier life of the process.
   */
  sideEffects?: (record: InRecord) => boolean;
}

/**
 * account.security → the profile view in the store. Last write (by updated_at) wins; a tombstone
 * deletes everything held about the account; an enrollment change publishes the training
 * exclusion and asks for an `enrolled` confirmation.
 */
export function createAccountProfilesHandler(deps: AccountProfilesDeps): ChunkHandler {
  const { store, publisher, config } = deps;
  const now = deps.now ?? Date.now;

  return async (records) => {
    const out: OutRecord[] = [];
    const changed = new Set<string>();
    const tombstones: string[] = [];
    const accounts = [...new Set(records.map((r) => r.message.key?.toString('utf8') ?? ''))].filter(Boolean);
    const stored = await store.read(accounts.flatMap((a) => [keys.profile(a), keys.excluded(a)]));
    // Latest profile per account within the chunk, and the enrollment last published for it.
    const current = new Map<string, AccountSecurity | undefined>();
    const published = new Map<string, boolean>();
    for (const [i, a] of accounts.entries()) {
      const text = stored[2 * i];
      current.set(a, text === undefined ? undefined : (JSON.parse(text) as AccountSecurity));
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
        if (effects) out.push({ topic: config.topics.trainingExclusions, key, value: null });
        continue;
      }
      const decoded = decodeAccountSecurity(r.message.value);
      if (!decoded.ok || (key && decoded.value.account_id !== key)) {
        const error = decoded.ok
          ? { code: 'INVALID_EVENT', message: `record key "${key}" differs from account_id` }
          : decoded;
        out.push({ topic: config.topics.dlq, key, value: toDlqRecord(r, r.message, error, now()) });
        continue;
      }
      const next = decoded.value;
      const account = next.account_id;
      const previous = current.get(account);
      if (previous && Date.parse(previous.updated_at) > Date.parse(next.updated_at)) continue;
      current.set(account, next);
      changed.add(account);

      // Compared with what was last *published*, not with the previous profile: a crash after the
      // profile was stored but before the exclusion went out is repaired on replay.
      const is = next.advanced_security.enrolled;
      if (published.get(account) === is) continue;
      published.set(account, is);
      if (!effects) continue;
      const exclusion: TrainingExclusion = {
        account_id: account,
        excluded: is,
        reason: is ? 'advanced_security_enrolled' : 'advanced_security_unenrolled',
        changed_at: next.updated_at,
      };
      out.push({ topic: config.topics.trainingExclusions, key: account, value: exclusion });
      const channels = channelsFor(next, config.channelRoutes);
      if (is && channels.length > 0) {
        const request: NotificationRequest = {
          id: alertId('account_change', account, `enrolled@${next.updated_at}`),
          account_id: account,
          kind: 'enrolled',
          channels,
          occurred_at: next.updated_at,
          requested_at: new Date(now()).toISOString(),
        };
        out.push({ topic: config.topics.notifications, key: account, value: request });
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
    await publisher.publish(out);
    await store.write(marks);
  };
}
