import type { Config } from '../config/config.js';
import type { AccountSecurity, Channel } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import type { Device, Geo, LoginAlert } from '../contracts/login-alert.js';
import { channelsFor } from '../contracts/profile-channels.js';
import { authenticators, normalAaguid } from '../enrich/authenticators.js';
import type { DeviceParser } from '../enrich/device.js';
import type { GeoLookup } from '../enrich/geo.js';
import type { Outcome } from '../observe/outcomes.js';
import { assessFailureBurst, assessSignIn, emptyHistory, rememberSignIn } from '../risk/assess.js';
import { assessChange } from '../risk/change.js';
import {
  type CredentialMemory,
  emptyCredentials,
  forget,
  recall,
  rememberAdded,
  rememberUsed,
} from '../risk/credentials.js';
import { type FailureState, recordFailure } from '../risk/failure-burst.js';
import type { AccountHistory } from '../risk/types.js';
import { keys } from '../state/keys.js';
import { type AlertParts, buildAlert, CHANGE_REASONS } from './alerts.js';
import type { ChunkState } from './chunk-state.js';

export type DecideConfig = Pick<Config, 'windows' | 'failureThreshold' | 'securityTopicAudience'> &
  Partial<Pick<Config, 'channelRoutes'>>;

/** What one event's decision needs besides the event: the chunk's state and the enrichers. */
export interface DecideContext {
  state: ChunkState;
  devices: DeviceParser;
  geo: GeoLookup;
  config: DecideConfig;
  startedAt: number;
}

/** One event's outcome, and the alert it makes (if any). */
export interface Verdict {
  outcome: Outcome;
  alert?: LoginAlert;
}

/** The early exit: an event of an account that is not enrolled, while only the enrolled are told. */
export const NOT_ENROLLED: Verdict = Object.freeze({ outcome: 'not_enrolled' });

/** Whether an event's account is judged (its decision state read); a profile that cannot be read is. */
export function judges(
  state: ChunkState,
  config: Pick<Config, 'securityTopicAudience'>,
  account: string,
): boolean {
  if (config.securityTopicAudience === 'all') return true;
  try {
    return state.get<AccountSecurity>(keys.profile(account))?.advanced_security.enrolled === true;
  } catch {
    return true; // its decision throws and dead-letters the event
  }
}

/** What every event type's decision shares: the account's standing, the time and the enrichment. */
interface Facts {
  enrolled: boolean;
  /** While a profile exists, state is written guarded by it (see `decideEvent`). */
  guard: string | undefined;
  at: number;
  readonly device: Device;
  readonly geo: Geo;
  channels: Channel[];
}

/** What kind of alert an event makes; everything else about the alert is shared. */
type AlertDecision = Pick<
  AlertParts,
  'kind' | 'severity' | 'reasons' | 'discriminator' | 'failureCount' | 'authenticator'
>;
/** An event type's decision: an alert to make, or the outcome of making none. */
type Decision = AlertDecision | { outcome: Outcome };

type Decide<T extends AuthEvent['type']> = (
  event: Extract<AuthEvent, { type: T }>,
  facts: Facts,
  ctx: DecideContext,
) => Decision;

/** Whether an event's decision reads the account's remembered credentials (when the account is enrolled). */
export function needsCredentials(event: AuthEvent): boolean {
  return (
    event.auth.credential_id !== undefined &&
    (event.type === 'login.succeeded' ||
      event.type === 'credential.added' ||
      event.type === 'credential.removed')
  );
}

/** The remembered credentials, for an enrolled account's event that needs them (see `needsCredentials`). */
function credentialsOf(event: AuthEvent, facts: Facts, state: ChunkState): CredentialMemory | undefined {
  if (!facts.enrolled || !needsCredentials(event)) return undefined;
  return state.get<CredentialMemory>(keys.credentials(event.account_id)) ?? emptyCredentials();
}

/** login.succeeded: once per session; assessed against the account's history, which it extends. */
export const decideSignIn: Decide<'login.succeeded'> = (event, facts, { state, config }) => {
  const { windows } = config;
  const a = event.account_id;
  const sessionKey = keys.session(a, event.session_id);
  if (state.has(sessionKey)) return { outcome: 'duplicate_session' };
  state.mark(sessionKey, windows.sessionDedupeMs, facts.guard);
  const history = state.get<AccountHistory>(keys.history(a)) ?? emptyHistory();
  const credentials = credentialsOf(event, facts, state);
  const signIn = {
    event,
    device: facts.device,
    geo: facts.geo,
    enrolled: facts.enrolled,
    history,
    credentials,
    now: facts.at,
    historyWindowMs: windows.historyMs,
  };
  state.put(keys.history(a), rememberSignIn(history, signIn), windows.historyMs, facts.guard);
  const decision: AlertDecision = {
    kind: 'new_login',
    ...assessSignIn(signIn),
    discriminator: event.session_id,
  };
  const id = event.auth.credential_id;
  if (credentials !== undefined && id !== undefined) {
    // Every use rewrites the memory, so its TTL runs from the account's last sign-in with a credential.
    state.put(keys.credentials(a), rememberUsed(credentials, id, facts.at), windows.historyMs, facts.guard);
    const name = authenticators.nameOf(recall(credentials, id)?.aaguid);
    if (name !== undefined) decision.authenticator = name;
  }
  return decision;
};

/** login.failed: counted in a window; alerts when the count reaches the threshold. */
export const decideFailure: Decide<'login.failed'> = (event, facts, { state, config }) => {
  const { windows } = config;
  const key = keys.failures(event.account_id);
  const burst = recordFailure(state.get<FailureState>(key), facts.at, {
    threshold: config.failureThreshold,
    windowMs: windows.failureWindowMs,
  });
  state.put(key, burst.state, windows.failureWindowMs * 2, facts.guard);
  if (!burst.alert) return { outcome: 'below_threshold' };
  return {
    kind: 'failed_attempts',
    ...assessFailureBurst(),
    failureCount: burst.alert.count,
    discriminator: event.event_id,
  };
};

/**
 * credential.added / credential.removed of an enrolled account update its remembered credentials;
 * returns the added credential's authenticator name, when its AAGUID is known.
 */
function rememberChange(
  event: AuthEvent,
  facts: Facts,
  { state, config }: DecideContext,
): string | undefined {
  const memory = credentialsOf(event, facts, state);
  const id = event.auth.credential_id;
  if (memory === undefined || id === undefined) return undefined;
  const key = keys.credentials(event.account_id);
  const ttl = config.windows.historyMs;
  if (event.type === 'credential.removed') {
    state.put(key, forget(memory, id), ttl, facts.guard);
    return undefined;
  }
  state.put(key, rememberAdded(memory, id, normalAaguid(event.auth.aaguid), facts.at), ttl, facts.guard);
  return authenticators.nameOf(event.auth.aaguid);
}

/** Account changes (credential, recovery, API key): each one alerts. */
export const decideChange = (event: AuthEvent, facts: Facts, ctx: DecideContext): Decision => {
  const change = assessChange(
    { event, device: facts.device, geo: facts.geo, enrolled: facts.enrolled },
    CHANGE_REASONS[event.type]!,
  );
  const decision: AlertDecision = { kind: 'account_change', ...change, discriminator: event.event_id };
  const name = rememberChange(event, facts, ctx);
  if (name !== undefined) decision.authenticator = name;
  return decision;
};

/**
 * Enrich: what the event's client and the account's profile say. The device and the place are
 * looked up on first use and then kept: a repeated session or a failure below the threshold decides
 * without them, and most events of an enrolled account are one or the other.
 */
function enrich(
  event: AuthEvent,
  profile: AccountSecurity | undefined,
  guard: string | undefined,
  ctx: DecideContext,
): Facts {
  let device: Device | undefined;
  let geo: Geo | undefined;
  return {
    enrolled: profile?.advanced_security.enrolled === true,
    guard,
    at: Date.parse(event.occurred_at),
    get device() {
      device ??= ctx.devices.parse(event.client.user_agent);
      return device;
    },
    get geo() {
      geo ??= ctx.geo.lookup(event.client.ip);
      return geo;
    },
    channels: channelsFor(profile, ctx.config.channelRoutes),
  };
}

/**
 * One event: dedupe → enrich → decide (per type) → build the alert. Pure over the chunk state,
 * which it updates; may throw (the caller undoes its state changes and dead-letters the event).
 */
export function decideEvent(event: AuthEvent, ctx: DecideContext): Verdict {
  const { state, config, startedAt } = ctx;
  const a = event.account_id;
  const profile = state.get<AccountSecurity>(keys.profile(a));
  if (profile?.advanced_security.enrolled !== true && config.securityTopicAudience === 'enrolled')
    return NOT_ENROLLED;
  const eventKey = keys.event(a, event.event_id);
  if (state.has(eventKey)) return { outcome: 'duplicate_event' };
  // A tombstone racing with this chunk deletes the profile first, and the guarded writes then
  // write nothing.
  const guard = profile ? keys.profile(a) : undefined;
  state.mark(eventKey, config.windows.eventDedupeMs, guard);
  const facts = enrich(event, profile, guard, ctx);
  const decision =
    event.type === 'login.succeeded'
      ? decideSignIn(event, facts, ctx)
      : event.type === 'login.failed'
        ? decideFailure(event, facts, ctx)
        : decideChange(event, facts, ctx);
  if ('outcome' in decision) return decision;
  const stale = startedAt - facts.at > config.windows.maxAlertAgeMs;
  const { enrolled, device, geo, channels } = facts;
  const alert = buildAlert(event, { ...decision, device, geo, channels, enrolled, stale }, startedAt);
  return { outcome: stale ? 'stale' : enrolled ? 'alerted' : 'published', alert };
}
