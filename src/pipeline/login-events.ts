import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import { decodeAuthEvent } from '../contracts/decode.js';
import type { LoginAlert } from '../contracts/login-alert.js';
import type { NotificationRequest } from '../contracts/notification.js';
import { toOcsfAuthentication } from '../contracts/ocsf.js';
import { channelsFor } from '../contracts/profile-channels.js';
import type { DeviceParser } from '../enrich/device.js';
import type { GeoLookup } from '../enrich/geo.js';
import type { ChunkHandler, InRecord } from '../kafka/consumer-loop.js';
import { createDeadLetters, Outputs } from '../kafka/dlq.js';
import type { OutRecord, Publisher } from '../kafka/publisher.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Outcome, OutcomeLog } from '../observe/outcomes.js';
import { assessFailureBurst, assessSignIn, emptyHistory, rememberSignIn } from '../risk/assess.js';
import { assessChange } from '../risk/change.js';
import { type FailureState, recordFailure } from '../risk/failure-burst.js';
import type { AccountHistory } from '../risk/types.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';
import { type AlertParts, buildAlert, CHANGE_REASONS } from './alerts.js';
import { ChunkState } from './chunk-state.js';

export interface LoginEventsDeps {
  store: Store;
  devices: DeviceParser;
  geo: GeoLookup;
  publisher: Publisher;
  config: Pick<Config, 'topics' | 'windows' | 'failureThreshold' | 'securityTopicAudience'> &
    Partial<Pick<Config, 'channelRoutes'>>;
  metrics?: Metrics;
  outcomes?: OutcomeLog;
  /** Where a dead-letter record the broker refused is reported (DLQ_WRITE_FAILED). */
  log?: Logger;
  now?: () => number;
}

/** Chunks up to this size read all their state in one round trip (see the handler). */
const ONE_READ_MAX_EVENTS = 50;

/** The keys an event's decision needs beyond the profile; read only for accounts that are judged. */
function keysFor(event: AuthEvent): string[] {
  const a = event.account_id;
  const list = [keys.event(a, event.event_id)];
  if (event.type === 'login.succeeded') list.push(keys.session(a, event.session_id), keys.history(a));
  if (event.type === 'login.failed') list.push(keys.failures(a));
  return list;
}

/** What one event's decision needs besides its own state. */
interface DecideContext {
  state: ChunkState;
  devices: DeviceParser;
  geo: GeoLookup;
  config: LoginEventsDeps['config'];
  startedAt: number;
}

/** One event's outcome, and the alert it makes (if any). Pure over the chunk state; may throw. */
function decideEvent(event: AuthEvent, ctx: DecideContext): { outcome: Outcome; alert?: LoginAlert } {
  const { state, config, startedAt } = ctx;
  const { windows } = config;
  const a = event.account_id;
  const profile = state.get<AccountSecurity>(keys.profile(a));
  const enrolled = profile?.advanced_security.enrolled === true;
  // Non-enrolled accounts leave no trace unless the security team asked to see everyone.
  if (!enrolled && config.securityTopicAudience === 'enrolled') return { outcome: 'not_enrolled' };
  const eventKey = keys.event(a, event.event_id);
  if (state.has(eventKey)) return { outcome: 'duplicate_event' };
  // While a profile exists, state is written guarded by it: a tombstone racing with this chunk
  // deletes the profile first, and the guarded writes then write nothing.
  const guard = profile ? keys.profile(a) : undefined;
  state.mark(eventKey, windows.eventDedupeMs, guard);
  const at = Date.parse(event.occurred_at);
  const stale = startedAt - at > windows.maxAlertAgeMs;
  const device = ctx.devices.parse(event.client.user_agent);
  const where = ctx.geo.lookup(event.client.ip);
  const channels = channelsFor(profile, config.channelRoutes);
  // What kind of alert this event makes, if any; everything else about the alert is shared.
  let decision: Pick<AlertParts, 'kind' | 'severity' | 'reasons' | 'discriminator' | 'failureCount'>;

  if (event.type === 'login.succeeded') {
    const sessionKey = keys.session(a, event.session_id);
    if (state.has(sessionKey)) return { outcome: 'duplicate_session' };
    state.mark(sessionKey, windows.sessionDedupeMs, guard);
    const history = state.get<AccountHistory>(keys.history(a)) ?? emptyHistory();
    const signIn = {
      event,
      device,
      geo: where,
      enrolled,
      history,
      now: at,
      historyWindowMs: windows.historyMs,
    };
    state.put(keys.history(a), rememberSignIn(history, signIn), windows.historyMs, guard);
    decision = { kind: 'new_login', ...assessSignIn(signIn), discriminator: event.session_id };
  } else if (event.type === 'login.failed') {
    const previous = state.get<FailureState>(keys.failures(a));
    const burst = recordFailure(previous, at, {
      threshold: config.failureThreshold,
      windowMs: windows.failureWindowMs,
    });
    state.put(keys.failures(a), burst.state, windows.failureWindowMs * 2, guard);
    if (!burst.alert) return { outcome: 'below_threshold' };
    decision = {
      kind: 'failed_attempts',
      ...assessFailureBurst(),
      failureCount: burst.alert.count,
      discriminator: event.event_id,
    };
  } else {
    const change = assessChange({ event, device, geo: where, enrolled }, CHANGE_REASONS[event.type]!);
    decision = { kind: 'account_change', ...change, discriminator: event.event_id };
  }
  const alert = buildAlert(event, { ...decision, device, geo: where, channels, enrolled, stale }, startedAt);
  return { outcome: stale ? 'stale' : enrolled ? 'alerted' : 'published', alert };
}

/** The records an alert goes out as: the alert, its OCSF form and (when someone is told) a request. */
function alertOutputs(alert: LoginAlert, topics: Config['topics']): OutRecord[] {
  const a = alert.account_id;
  const out: OutRecord[] = [
    { topic: topics.loginAlerts, key: a, value: alert },
    { topic: topics.loginAlertsOcsf, key: a, value: toOcsfAuthentication(alert) },
  ];
  if (alert.enrolled && !alert.stale && alert.channels.length > 0) {
    const request: NotificationRequest = {
      id: alert.alert_id,
      account_id: a,
      kind: alert.kind as NotificationRequest['kind'],
      channels: alert.channels,
      occurred_at: alert.occurred_at,
      requested_at: alert.detected_at,
      alert,
    };
    out.push({ topic: topics.notifications, key: a, value: request });
  }
  return out;
}

/** Whether an event's account is judged (its decision state read); a profile that cannot be read is. */
function judges(state: ChunkState, config: LoginEventsDeps['config'], account: string): boolean {
  if (config.securityTopicAudience === 'all') return true;
  try {
    return state.get<AccountSecurity>(keys.profile(account))?.advanced_security.enrolled === true;
  } catch {
    return true; // its decision throws and dead-letters the event
  }
}

/**
 * auth.events → decisions. For each chunk: decode, read state once, decide in order, publish
 * every output with acks=-1, then write state. Offsets are committed by the loop afterwards, so
 * a crash replays the chunk: the same alert ids come out and notifications stay idempotent.
 * A record that cannot be decoded, or whose decision throws, is dead-lettered (its state changes
 * undone) and the rest of the chunk goes on; so is one whose output the broker refuses.
 */
export function createLoginEventsHandler(deps: LoginEventsDeps): ChunkHandler {
  const { store, devices, geo, publisher, config } = deps;
  const { topics } = config;
  const now = deps.now ?? Date.now;
  const dead = createDeadLetters({
    publisher,
    topic: topics.dlq,
    log: deps.log ?? silentLogger(),
    metrics: deps.metrics,
    now,
  });

  return async (records: InRecord[]) => {
    const startedAt = now();
    const out = new Outputs();
    const events: { event: AuthEvent; record: InRecord }[] = [];
    const detectedAt = new Date(startedAt).toISOString();
    // Counted per chunk, then added to the metrics once per label pair: a labelled inc per event costs.
    const counts = new Map<string, number>();
    const record = (entry: { outcome: Outcome; event?: AuthEvent; alert?: LoginAlert }) => {
      const label = `${entry.event?.type ?? 'invalid'}|${entry.outcome}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (!deps.outcomes || !entry.event) return;
      const a = entry.alert;
      deps.outcomes.add({
        event_id: entry.event.event_id,
        account_id: entry.event.account_id,
        type: entry.event.type,
        outcome: entry.outcome,
        alert_id: a?.alert_id,
        kind: a?.kind,
        severity: a?.severity,
        reasons: a?.reasons,
        channels: a?.channels,
        at: detectedAt,
      });
    };

    for (const r of records) {
      const decoded = decodeAuthEvent(r.message.value, startedAt);
      if (decoded.ok) events.push({ event: decoded.value, record: r });
      else {
        out.add(dead.record(r, decoded), r);
        record({ outcome: 'invalid' });
      }
    }

    // A backlog (large chunks) is read in two batches: the profiles, then what the judged accounts
    // need; most accounts are not enrolled, and their events then cost no further key, hash or read.
    // A caught-up consumer (small chunks) reads everything at once: one round trip less per alert.
    const state = new ChunkState();
    const onePass = events.length <= ONE_READ_MAX_EVENTS;
    const firstKeys = state.missing(
      events.flatMap(({ event }) =>
        onePass ? [keys.profile(event.account_id), ...keysFor(event)] : [keys.profile(event.account_id)],
      ),
    );
    state.load(firstKeys, await store.read(firstKeys));
    const judged = events.filter((e) => judges(state, config, e.event.account_id));
    const more = state.missing(judged.flatMap((e) => keysFor(e.event)));
    if (more.length > 0) state.load(more, await store.read(more));

    const ctx: DecideContext = { state, devices, geo, config, startedAt };
    for (const { event, record: r } of events) {
      let verdict: { outcome: Outcome; alert?: LoginAlert; outputs?: OutRecord[] };
      try {
        verdict = state.guarded(() => {
          const v = decideEvent(event, ctx);
          return v.alert ? { ...v, outputs: alertOutputs(v.alert, topics) } : v;
        });
      } catch (err) {
        const message = `processing failed: ${err instanceof Error ? err.message : String(err)}`;
        out.add(dead.record(r, { code: 'PROCESSING_FAILED', message }), r);
        record({ outcome: 'failed', event });
        continue;
      }
      for (const o of verdict.outputs ?? []) out.add(o, r);
      if (verdict.alert)
        deps.metrics?.alerts.inc({ kind: verdict.alert.kind, severity: verdict.alert.severity });
      record({ outcome: verdict.outcome, event, alert: verdict.alert });
    }

    await dead.publish(out);
    await store.write(state.writes());
    if (deps.metrics) {
      for (const [label, n] of counts) {
        const [type, outcome] = label.split('|') as [string, string];
        deps.metrics.eventsIn.inc({ type, outcome }, n);
      }
      const done = now();
      const decided = deps.metrics.endToEnd.labels({ stage: 'decided' });
      for (const { record: r } of events)
        decided.observe(Math.max(0, done - Number(r.message.timestamp)) / 1000);
    }
  };
}
