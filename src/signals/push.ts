/**
 * Push delivery (RFC 8935): each push stream's queue is drained by one process at a time (a lease in
 * the store), head first, one SET per POST. Each stream drains on its own, so a slow or dead
 * receiver holds back only its own stream. Stages per SET: resolve the endpoint (https, public
 * addresses unless listed) → POST → classify → settle (remove, or defer with backoff).
 */
import { randomUUID } from 'node:crypto';
import type https from 'node:https';
import { compileAllowList, type PushAllowList } from '../channels/push-hosts.js';
import { type HostResolver, post, resolveTarget, systemResolver } from '../channels/push-post.js';
import { PUSH_METHOD } from '../contracts/shared-signals.js';
import { parseRetryAfter } from '../errors.js';
import { backoffDelayMs } from '../notify/backoff.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Store } from '../state/store.js';
import type { QueuedSet, SetError, StreamQueue } from './queue.js';
import { type StreamRecord, type StreamRepository, signalKeys } from './streams.js';

/** What one POST of a SET came to. */
export type PushOutcome =
  | { kind: 'accepted' }
  | { kind: 'retry'; retryAfterS?: number; reason: string }
  | { kind: 'refused'; err: string; description?: string };

/** Pure: a receiver's answer (RFC 8935 §2.2–2.4) as an outcome. */
export function classifyPush(status: number, headers: Record<string, string>, body: string): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'accepted' };
  if (status === 429 || status >= 500 || status === 408) {
    return { kind: 'retry', retryAfterS: parseRetryAfter(headers['retry-after']), reason: `HTTP ${status}` };
  }
  let err = `http_${status}`;
  let description: string | undefined;
  try {
    const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
    if (typeof parsed.err === 'string') err = parsed.err.slice(0, 64);
    if (typeof parsed.description === 'string') description = parsed.description.slice(0, 500);
  } catch {
    // Not the RFC's JSON error: the status names the refusal.
  }
  return description === undefined ? { kind: 'refused', err } : { kind: 'refused', err, description };
}

export interface PushDeps {
  store: Store;
  streams: StreamRepository;
  queue: StreamQueue;
  log: Logger;
  metrics: Metrics;
  /** DELIVERY_BACKOFF: the waits between tries of one SET. */
  backoffMs: readonly number[];
  /** SSF_PUSH_ALLOWED_HOSTS: hosts that may resolve anywhere (others: public addresses only). */
  allowedHosts: readonly string[];
  /** How often queues are looked at without a wake-up (default 1 s). */
  intervalMs?: number;
  timeoutMs?: number;
  /** tests: an agent that trusts a local receiver's CA */
  agent?: https.Agent;
  resolver?: HostResolver;
}

export interface PushDelivery {
  /** Look at these streams now (new SETs were queued). */
  wake(streamIds?: readonly string[]): void;
  stop(): Promise<void>;
}

const LEASE_MS = 30_000;
/** SETs one drain sends before it lets the lease go (another process may take the stream next). */
const DRAIN_BATCH = 100;

/** Rounds between two readings of every stream's backlog (15 s at the default interval). */
const BACKLOG_EVERY_ROUNDS = 15;

/**
 * Sets the backlog gauge of every stream from the store, so every replica reports the same figure
 * (whichever process queued or sent last) and a deleted stream's series goes away.
 */
async function measureBacklog(deps: PushDeps): Promise<void> {
  const streams = await deps.streams.all();
  const queues = await Promise.all(streams.map((s) => deps.queue.read(s.stream_id)));
  deps.metrics.ssfBacklog.reset();
  for (const [i, s] of streams.entries()) {
    deps.metrics.ssfBacklog.set({ stream: s.stream_id }, queues[i]!.items.length);
  }
}

/** What the sends of one process share. */
interface Pusher {
  deps: PushDeps;
  owner: string;
  allowList: PushAllowList;
  resolver: HostResolver;
  stopped: () => boolean;
}

/** Starts the push loop of this process. */
export function startPushDelivery(deps: PushDeps): PushDelivery {
  let stopped = false;
  const pusher: Pusher = {
    deps,
    owner: randomUUID(),
    allowList: compileAllowList(deps.allowedHosts, { trustExact: true }),
    resolver: deps.resolver ?? systemResolver,
    stopped: () => stopped,
  };
  const running = new Map<string, Promise<void>>();
  const failed = (err: unknown) => deps.log.warn({ err: (err as Error).message }, 'SET push loop failed');

  const look = async (only?: readonly string[]): Promise<void> => {
    const streams = (await deps.streams.all()).filter(
      (s) =>
        s.delivery.method === PUSH_METHOD &&
        s.status === 'enabled' &&
        (only === undefined || only.includes(s.stream_id)),
    );
    for (const stream of streams) {
      if (running.has(stream.stream_id)) continue;
      const run = drain(pusher, stream)
        .then((dueAt) => later(stream.stream_id, dueAt))
        .catch(failed)
        .finally(() => running.delete(stream.stream_id));
      running.set(stream.stream_id, run);
    }
  };
  /** A head SET due before the next round is tried when it is due, not at the next round. */
  const later = (id: string, dueAt: number | undefined) => {
    const wait = dueAt === undefined ? Infinity : dueAt - Date.now();
    if (stopped || wait >= (deps.intervalMs ?? 1_000)) return;
    setTimeout(() => void look([id]).catch(failed), Math.max(0, wait)).unref();
  };
  let timer: NodeJS.Timeout | undefined;
  let rounds = 0;
  const tick = () => {
    if (stopped) return;
    const backlog = rounds++ % BACKLOG_EVERY_ROUNDS === 0 ? measureBacklog(deps) : Promise.resolve();
    Promise.all([look(), backlog])
      .catch(failed)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, deps.intervalMs ?? 1_000);
      });
  };
  timer = setTimeout(tick, 0);

  return {
    wake(ids) {
      if (!stopped) void look(ids).catch(failed);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
}

/**
 * Sends the stream's due SETs in order while this process holds its lease; returns when the head
 * left waiting is due (undefined: nothing waits, or another process holds the stream).
 */
async function drain(pusher: Pusher, listed: StreamRecord): Promise<number | undefined> {
  const { deps, owner } = pusher;
  const lease = signalKeys.lease(listed.stream_id);
  const [won] = await deps.store.claim([{ key: lease, value: owner, ttlMs: LEASE_MS }]);
  if (!won) return undefined;
  try {
    for (let sent = 0; sent < DRAIN_BATCH && !pusher.stopped(); sent++) {
      // Paused, disabled or deleted meanwhile: what is queued waits (or goes with the stream).
      const stream = await deps.streams.get(listed.audience, listed.stream_id);
      if (stream?.status !== 'enabled' || stream.delivery.method !== PUSH_METHOD) return undefined;
      const head = (await deps.queue.read(stream.stream_id)).items[0];
      if (head === undefined) return undefined;
      if (head.dueAt > Date.now()) return head.dueAt;
      const outcome = await send(pusher, stream, head);
      await deps.store.write([{ op: 'set', key: lease, value: owner, ttlMs: LEASE_MS }]);
      const dueAt = await settle(deps, stream, head, outcome);
      if (dueAt !== undefined) return dueAt;
    }
    // A full batch sent: the rest go in the next round (or to another process).
    return Date.now();
  } finally {
    await deps.store.write([{ op: 'del', key: lease }]);
  }
}

/** One POST of one SET to the stream's endpoint, resolved and vetted now. */
async function send(pusher: Pusher, stream: StreamRecord, item: QueuedSet): Promise<PushOutcome> {
  const delivery = stream.delivery;
  if (delivery.method !== PUSH_METHOD) return { kind: 'refused', err: 'not_push' };
  let resolved: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    resolved = await resolveTarget(delivery.endpoint_url, pusher.allowList, pusher.resolver, { open: true });
  } catch (err) {
    // A name that does not resolve now may later.
    return { kind: 'retry', reason: `cannot resolve the endpoint: ${(err as Error).message}` };
  }
  if (!resolved.ok) return { kind: 'refused', err: 'endpoint_not_allowed', description: resolved.reason };
  const headers: Record<string, string> = {
    'content-type': 'application/secevent+jwt',
    accept: 'application/json',
  };
  if (delivery.authorization_header !== undefined) headers.authorization = delivery.authorization_header;
  try {
    const res = await post(
      resolved.target,
      { method: 'POST', headers, body: Buffer.from(item.set), endpoint: delivery.endpoint_url },
      { agent: pusher.deps.agent, timeoutMs: pusher.deps.timeoutMs ?? 10_000 },
    );
    return classifyPush(res.status, res.headers, res.body);
  } catch (err) {
    return { kind: 'retry', reason: (err as Error).message };
  }
}

/** Removes a SET accepted or refused (the refusal recorded), or defers it and returns when it is due. */
async function settle(
  deps: PushDeps,
  stream: StreamRecord,
  item: QueuedSet,
  outcome: PushOutcome,
): Promise<number | undefined> {
  const id = stream.stream_id;
  if (outcome.kind === 'retry') {
    const wait = backoffDelayMs(deps.backoffMs, item.attempts + 2, Math.random, outcome.retryAfterS);
    const dueAt = Date.now() + wait;
    await deps.queue.defer(id, item.jti, dueAt);
    deps.metrics.ssfSets.inc({ type: 'any', outcome: 'retried' });
    deps.log.warn({ stream: id, jti: item.jti, reason: outcome.reason, waitMs: wait }, 'SET push deferred');
    return dueAt;
  }
  const errors: SetError[] = [];
  if (outcome.kind === 'refused') {
    const e: SetError = { jti: item.jti, err: outcome.err, at: new Date().toISOString() };
    if (outcome.description !== undefined) e.description = outcome.description;
    errors.push(e);
    deps.log.warn({ stream: id, jti: item.jti, err: outcome.err }, 'SET refused by the receiver');
  }
  const left = await deps.queue.settle(id, outcome.kind === 'accepted' ? [item.jti] : [], errors);
  deps.metrics.ssfBacklog.set({ stream: id }, left);
  deps.metrics.ssfSets.inc({ type: 'any', outcome: outcome.kind === 'accepted' ? 'delivered' : 'failed' });
  return undefined;
}
