/**
 * security.login-alerts and login-alerts.responses → signed SETs in each matching stream's queue.
 * Stages: decode → events (pure, events.ts) → address (streams whose status, events and subjects
 * take it) → sign → queue. Delivery happens elsewhere (push.ts, the poll route), so a receiver never
 * holds back this consumer. A replayed record gives the same jti, which the queue refuses twice.
 */

import type { AccountSecurity } from '../contracts/account-security.js';
import { type LoginAlert, LoginAlertSchema } from '../contracts/login-alert.js';
import { type ResponseRecord, ResponseRecordSchema } from '../contracts/records.js';
import type { InRecord } from '../kafka/consumer-loop.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';
import { jtiFor, type SetBody, setsFromAlert, setsFromResponse } from './events.js';
import type { StreamQueue } from './queue.js';
import type { SetSigner } from './signer.js';
import { type StreamRecord, type StreamRepository, signalKeys, wants } from './streams.js';

/** How long a "queued" mark keeps a replayed record from queueing its SETs again. */
const QUEUED_MARK_MS = 7 * 24 * 3600 * 1000;

export interface TransmitDeps {
  store: Store;
  streams: StreamRepository;
  queue: StreamQueue;
  signer: SetSigner;
  topics: { loginAlerts: string; responses: string };
  log: Logger;
  metrics: Metrics;
  /** Told which streams got new SETs (the push loop starts on them at once). */
  queued?: (streamIds: string[]) => void;
}

type Decoded = { kind: 'alert'; alert: LoginAlert } | { kind: 'response'; response: ResponseRecord };

/** The chunk handler of the shared-signals consumer. */
export function createTransmitHandler(deps: TransmitDeps) {
  return async (records: InRecord[]): Promise<void> => {
    const decoded = records.flatMap((r) => decode(r, deps.topics));
    if (decoded.length === 0) return;
    const bodies = await events(deps.store, decoded);
    if (bodies.length === 0) return;
    const streams = (await deps.streams.all()).filter((s) => s.status !== 'disabled');
    const touched = new Set<string>();
    for (const body of bodies) {
      for (const stream of await addressed(deps.streams, streams, body)) {
        if (await queueOne(deps, stream, body)) touched.add(stream.stream_id);
      }
    }
    if (touched.size > 0) deps.queued?.([...touched]);
  };
}

/** A record this consumer can read, or nothing (another writer's malformed record is not ours to judge). */
function decode(r: InRecord, topics: TransmitDeps['topics']): Decoded[] {
  let value: unknown;
  try {
    value = JSON.parse(r.message.value?.toString('utf8') ?? 'null');
  } catch {
    return [];
  }
  if (r.topic === topics.responses) {
    const parsed = ResponseRecordSchema.safeParse(value);
    return parsed.success ? [{ kind: 'response', response: parsed.data }] : [];
  }
  const parsed = LoginAlertSchema.safeParse(value);
  return parsed.success ? [{ kind: 'alert', alert: parsed.data }] : [];
}

/** The SET bodies of the decoded records; responses read their account's language from its profile. */
async function events(store: Store, decoded: Decoded[]): Promise<SetBody[]> {
  const accounts = [
    ...new Set(decoded.flatMap((d) => (d.kind === 'response' ? [d.response.account_id] : []))),
  ];
  const texts = accounts.length === 0 ? [] : await store.read(accounts.map((a) => keys.profile(a)));
  const locales = new Map(accounts.map((a, i) => [a, localeOf(texts[i])]));
  return decoded.flatMap((d) =>
    d.kind === 'alert'
      ? setsFromAlert(d.alert)
      : setsFromResponse(d.response, locales.get(d.response.account_id)),
  );
}

function localeOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as AccountSecurity).preferences?.locale;
  } catch {
    return undefined;
  }
}

/** The streams that take this body: its event type requested, its subject covered. */
async function addressed(
  repo: StreamRepository,
  streams: StreamRecord[],
  body: SetBody,
): Promise<StreamRecord[]> {
  const typed = streams.filter((s) => wants(s, body.type));
  const covered = await repo.covers(typed, body.sub_id);
  return typed.filter((_, i) => covered[i]);
}

/** Signs and queues one SET for one stream unless it was queued before; true when it was added now. */
async function queueOne(deps: TransmitDeps, stream: StreamRecord, body: SetBody): Promise<boolean> {
  const jti = jtiFor(body.id, stream.stream_id);
  const mark = signalKeys.queued(stream.stream_id, jti);
  const [seen] = await deps.store.read([mark]);
  if (seen !== undefined) return false;
  const set = await deps.signer.sign(body, { audience: stream.audience, jti });
  const { added, dropped, length } = await deps.queue.enqueue(stream.stream_id, [{ jti, set }]);
  await deps.store.write([{ op: 'setnx', key: mark, value: '1', ttlMs: QUEUED_MARK_MS }]);
  deps.metrics.ssfBacklog.set({ stream: stream.stream_id }, length);
  if (added > 0) deps.metrics.ssfSets.inc({ type: shortType(body.type), outcome: 'queued' });
  if (dropped > 0) {
    deps.metrics.ssfSets.inc({ type: 'any', outcome: 'dropped' }, dropped);
    deps.log.warn({ stream: stream.stream_id, dropped }, 'Shared Signals backlog full: oldest SETs dropped');
  }
  return added > 0;
}

/** The last path segment of an event type URI, for metric labels. */
export const shortType = (type: string): string => type.slice(type.lastIndexOf('/') + 1);
