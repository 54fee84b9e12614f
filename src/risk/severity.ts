import { REASONS, type Reason, type Severity } from '../contracts/login-alert.js';

// Each of these on its own means someone other than the user may be in the account.
const CRITICAL: ReadonlySet<Reason> = new Set<Reason>([
  'impossible_travel',
  'method_downgrade',
  'unknown_credential',
  'failure_burst',
  'user_reported',
]);

/**
 * The severity implied by a set of reasons:
 * - critical: impossible travel, a method downgrade, an unknown credential, a failure burst, a user report, or an anonymous network
 *   together with a new device (a VPN on a known device is ordinary; on an unknown one it hides an intruder);
 * - warning: any other reason (new device or place, an anonymous or hosting network alone, an account change);
 * - info: no reason at all, i.e. a known device in a known place.
 */
export function severityFor(reasons: readonly Reason[]): Severity {
  const has = (r: Reason) => reasons.includes(r);
  if (reasons.some((r) => CRITICAL.has(r))) return 'critical';
  if (has('anonymous_network') && has('new_device')) return 'critical';
  return reasons.length > 0 ? 'warning' : 'info';
}

/** Reasons without duplicates, in the stable order of `REASONS`. */
export function orderReasons(reasons: Iterable<Reason>): Reason[] {
  const set = new Set(reasons);
  return REASONS.filter((r) => set.has(r));
}
