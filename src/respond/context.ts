// What every stage of the respond flow shares, and the unit they pass along.
import { createHash } from 'node:crypto';
import type { IdpProvider } from '../contracts/idp.js';
import type { ResponseAction } from '../contracts/records.js';
import type { Publisher } from '../kafka/publisher.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Responder } from '../responders/responder.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';
import type { ReportTarget } from './target.js';

export interface RespondDeps {
  store: Store;
  publisher: Publisher;
  /** The configured responders; an event naming another provider is recorded failed, RESPONDER_NOT_CONFIGURED. */
  responders: Partial<Record<IdpProvider, Responder>>;
  /** responses: every outcome; notifications: the containment notice of each (login-alerts.notifications) */
  topics: { responses: string; notifications: string };
  log: Logger;
  metrics?: Pick<Metrics, 'responses'>;
  /** How long a report target is kept: at least as long as the alert's link can be used. */
  targetTtlMs: number;
  /** How long a claim holds before another responder may take the action over (its holder is taken to be gone). */
  leaseMs?: number;
  /** Tries per action for retryable failures, and the backoff between them. */
  retry?: { attempts: number; firstMs: number; maxMs: number; maxRetryAfterS: number };
  now?: () => number;
}

export interface RespondContext extends Required<Omit<RespondDeps, 'metrics'>> {
  metrics: RespondDeps['metrics'];
}

/** Up to 6 tries over about a minute; an IdP's Retry-After is honoured up to a minute. */
export const DEFAULT_RETRY = { attempts: 6, firstMs: 500, maxMs: 16_000, maxRetryAfterS: 60 };
export const DEFAULT_LEASE_MS = 120_000;

export function respondContext(deps: RespondDeps): RespondContext {
  return {
    leaseMs: DEFAULT_LEASE_MS,
    retry: DEFAULT_RETRY,
    now: Date.now,
    ...deps,
    metrics: deps.metrics,
  };
}

/** One action of one confirmed report. */
export interface Job {
  /** the reported alert (not the user_reported alert about it) */
  alertId: string;
  accountId: string;
  target: ReportTarget;
  action: ResponseAction;
  key: string;
  responseId: string;
}

export function job(accountId: string, alertId: string, target: ReportTarget, action: ResponseAction): Job {
  return {
    alertId,
    accountId,
    target,
    action,
    key: keys.response(accountId, alertId, action),
    responseId: responseId(alertId, action),
  };
}

/** Deterministic per (alert, action): a replay repeats a record, never invents one. */
export function responseId(alertId: string, action: ResponseAction): string {
  return `rs_${createHash('sha256').update(`${alertId}\0${action}`).digest('base64url').slice(0, 26)}`;
}
