import { LRUCache } from 'lru-cache';
import type { Config } from '../config/config.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import { decodeAuthEvent } from '../contracts/decode.js';
import type { DeviceParser } from '../enrich/device.js';
import type { GeoLookup } from '../enrich/geo.js';
import type { ChunkHandler, InRecord } from '../kafka/consumer-loop.js';
import { createDeadLetters, type DeadLetters, Outputs } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { OutcomeLog } from '../observe/outcomes.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';
import { ChunkState } from './chunk-state.js';
import {
  type DecideConfig,
  type DecideContext,
  decideEvent,
  judges,
  NOT_ENROLLED,
  needsCredentials,
  type Verdict,
} from './decide.js';
import { alertOutputs } from './emit.js';
import { Tally } from './tally.js';

export interface LoginEventsDeps {
  store: Store;
  devices: DeviceParser;
  geo: GeoLookup;
  publisher: Publisher;
  config: Pick<Config, 'topics'> & DecideConfig;
  metrics?: Metrics;
  outcomes?: OutcomeLog;
  /**
   * Which accounts may be enrolled. With it, and while only the enrolled are told, an event of an
   * account it does not hold is not enrolled: no key, no read. Without it every profile is read.
   */
  directory?: { mayBeEnrolled(account: string): boolean };
  /** Where a dead-letter record the broker refused is reported (DLQ_WRITE_FAILED). */
  log?: Logger;
  now?: () => number;
}

/**
 * Records per chunk of auth.events (a fetched batch is cut into chunks of at most this many). Each
 * run of a chunk (see RUN_MAX_SELECTED; most chunks are one run) costs a fixed number of round trips
 * (a read, a second read when it is a backlog, one publish of its outputs, one write) however few of
 * its events are judged, so a backlog costs less per event in larger chunks; but a run's outputs
 * leave only when all of it is decided, so a larger one delays its first alerts. A caught-up
 * consumer's chunks are as small as its fetches. The outputs leave in requests of at most 500
 * records (see publisher.ts).
 */
export const LOGIN_EVENTS_CHUNK_SIZE = 1_000;

/** Runs with up to this many events that may notify read all their state in one round trip (see `readState`). */
const ONE_READ_MAX_EVENTS = 50;

/**
 * Events that may notify someone decided at once, at most: a chunk with more (an alert storm) is
 * handled in runs of this many, one after the other, each read, decided, published and written
 * before the next, so far less is held in memory at once. Every event may notify someone when there
 * is no enrolled directory or the security topic is for all accounts; otherwise only those of
 * accounts the directory holds, and a chunk of events that notify nobody stays one run, as each run
 * costs its own round trips.
 */
const RUN_MAX_SELECTED = 250;

/** One decoded event and the Kafka record it came in. */
interface Item {
  event: AuthEvent;
  record: InRecord;
}

/** The keys an event's decision needs beyond the profile; read only for accounts that are judged. */
function keysFor(event: AuthEvent): string[] {
  const a = event.account_id;
  const list = [keys.event(a, event.event_id)];
  if (event.type === 'login.succeeded') list.push(keys.session(a, event.session_id), keys.history(a));
  if (event.type === 'login.failed') list.push(keys.failures(a));
  if (needsCredentials(event)) list.push(keys.credentials(a));
  return list;
}

/** Decode: valid events go on; a record that is not one is dead-lettered. */
function decode(
  records: InRecord[],
  startedAt: number,
  dead: DeadLetters,
  out: Outputs,
  tally: Tally,
): Item[] {
  const items: Item[] = [];
  for (const record of records) {
    const decoded = decodeAuthEvent(record.message.value, startedAt);
    if (decoded.ok) items.push({ event: decoded.value, record });
    else {
      out.add(dead.record(record, decoded), record);
      tally.note('invalid');
    }
  }
  return items;
}

/**
 * Read state: a backlog (large chunks) is read in two batches, the profiles and then what the
 * judged accounts need; most accounts are not enrolled, and their events then cost no further key,
 * hash or read. A caught-up consumer (small chunks) reads everything at once: one round trip less
 * per alert. Returns the state and the events that are judged; the others can notify nobody.
 */
async function readState(
  store: Store,
  config: DecideConfig,
  items: Item[],
): Promise<{ state: ChunkState; judged: Set<Item> }> {
  const state = new ChunkState();
  const onePass = items.length <= ONE_READ_MAX_EVENTS;
  const first = state.missing(
    items.flatMap(({ event }) =>
      onePass ? [keys.profile(event.account_id), ...keysFor(event)] : [keys.profile(event.account_id)],
    ),
  );
  state.load(first, await store.read(first));
  const judged = new Set(items.filter((i) => judges(state, config, i.event.account_id)));
  const more = state.missing([...judged].flatMap((i) => keysFor(i.event)));
  if (more.length > 0) state.load(more, await store.read(more));
  return { state, judged };
}

/** A stretch of a chunk's events, in order, and those of them that may notify someone. */
interface Run {
  items: Item[];
  selected: Item[];
}

/**
 * Select: the events that may notify someone (the directory turns the others away before any read),
 * in runs of at most RUN_MAX_SELECTED of them.
 */
function select(items: Item[], { directory, config }: LoginEventsDeps): Run[] {
  const every = !directory || config.securityTopicAudience === 'all';
  const selected = every ? items : items.filter((i) => directory.mayBeEnrolled(i.event.account_id));
  if (selected.length <= RUN_MAX_SELECTED) return [{ items, selected }];
  const chosen = new Set(selected);
  const runs: Run[] = [{ items: [], selected: [] }];
  for (const item of items) {
    let run = runs[runs.length - 1]!;
    if (chosen.has(item)) {
      if (run.selected.length === RUN_MAX_SELECTED) {
        run = { items: [], selected: [] };
        runs.push(run);
      }
      run.selected.push(item);
    }
    run.items.push(item);
  }
  return runs;
}

/**
 * Dedupe → enrich → assess for one event, and its output records. A decision that throws leaves
 * no state change behind and dead-letters the event.
 */
function judge(
  item: Item,
  ctx: DecideContext,
  deps: LoginEventsDeps,
  dead: DeadLetters,
  out: Outputs,
  tally: Tally,
): void {
  const { event, record } = item;
  let verdict: Verdict;
  let outputs: OutRecord[] = [];
  try {
    verdict = ctx.state.guarded(() => {
      const v = decideEvent(event, ctx);
      if (v.alert) outputs = alertOutputs(v.alert, deps.config.topics);
      return v;
    });
  } catch (err) {
    const message = `processing failed: ${err instanceof Error ? err.message : String(err)}`;
    out.add(dead.record(record, { code: 'PROCESSING_FAILED', message }), record);
    tally.note('failed', event);
    return;
  }
  for (const o of outputs) out.add(o, record);
  if (verdict.alert) deps.metrics?.alerts.inc({ kind: verdict.alert.kind, severity: verdict.alert.severity });
  tally.note(verdict.outcome, event, verdict.alert);
}

/** Records whose first decision time is kept: more than a chunk's retries and a rebalance can bring back. */
const FIRST_DECIDED_MAX = 20_000;

/**
 * The context to decide `item` in: a record decided before in this process (its chunk retried after a
 * publish failed, or fetched again after a rebalance) keeps its first decision time, so the alert it
 * publishes again is the same record, `detected_at` included, not a conflicting copy under the same id.
 */
function decidedAgain(first: LRUCache<string, number>, item: Item, ctx: DecideContext): DecideContext {
  const { topic, partition, message } = item.record;
  const key = `${topic}\0${partition}\0${message.offset}`;
  const at = first.get(key);
  if (at === undefined) {
    first.set(key, ctx.startedAt);
    return ctx;
  }
  return at === ctx.startedAt ? ctx : { ...ctx, startedAt: at };
}

/**
 * auth.events → decisions. For each chunk: decode → select → for each run: read state → (per event)
 * dedupe → enrich → assess → emit every output with acks=-1 → write state → count. A run reads what
 * the runs before it wrote, as the next chunk does. Offsets are committed by the loop afterwards, so
 * a crash or a failed run replays the chunk: the same alert ids come out (a finished run's events are
 * then duplicates) and notifications stay idempotent. A record that cannot be decoded, or whose
 * decision throws, is dead-lettered (its state changes undone) and the rest of the chunk goes on; so
 * is one whose output the broker refuses. The undecodable records' dead letters go with the first
 * run, and again when the chunk is replayed.
 */
export function createLoginEventsHandler(deps: LoginEventsDeps): ChunkHandler {
  const { store, devices, geo, publisher, config } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? silentLogger();
  const dead = createDeadLetters({ publisher, topic: config.topics.dlq, log, metrics: deps.metrics, now });

  const firstDecided = new LRUCache<string, number>({ max: FIRST_DECIDED_MAX });
  return async (records: InRecord[]) => {
    const startedAt = now();
    let out = new Outputs();
    const tally = new Tally(deps.outcomes, new Date(startedAt).toISOString());
    const items = decode(records, startedAt, dead, out, tally);
    for (const run of select(items, deps)) {
      const { state, judged } = await readState(store, config, run.selected);
      const ctx: DecideContext = { state, devices, geo, config, startedAt };
      for (const item of run.items) {
        if (!judged.has(item)) tally.note(NOT_ENROLLED.outcome, item.event);
        else judge(item, decidedAgain(firstDecided, item, ctx), deps, dead, out, tally);
      }
      await dead.publish(out);
      await store.write(state.writes());
      if (deps.metrics) observe(deps.metrics, tally, judged, now());
      out = new Outputs();
    }
  };
}

/**
 * A durable run's counts, and how long each judged event (the ones that can notify) took from the
 * broker to its durable decision; the others' progress is the consumer lag's to show.
 */
function observe(metrics: Metrics, tally: Tally, judged: Set<Item>, done: number): void {
  tally.flush(metrics);
  if (judged.size === 0) return;
  const decided = metrics.endToEnd.labels({ stage: 'decided' });
  for (const { record } of judged)
    decided.observe(Math.max(0, done - Number(record.message.timestamp)) / 1000);
}
