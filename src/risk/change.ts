import type { AuthEvent } from '../contracts/auth-event.js';
import type { Device, Geo, Reason, Severity } from '../contracts/login-alert.js';
import { isMethodDowngrade } from './method-downgrade.js';
import { isAnonymousNetwork, isHostingNetwork } from './network.js';
import { orderReasons } from './severity.js';

/** Account changes always alert; a change made through a weak method or a hiding network is critical. */
export function assessChange(
  ctx: { event: AuthEvent; device: Device; geo: Geo; enrolled: boolean },
  change: Reason,
): { severity: Severity; reasons: Reason[] } {
  const reasons: Reason[] = [change];
  if (isMethodDowngrade(ctx)) reasons.push('method_downgrade');
  if (isAnonymousNetwork(ctx.geo)) reasons.push('anonymous_network');
  if (isHostingNetwork(ctx.geo)) reasons.push('hosting_network');
  // Recovery changes hand an account over; treat them as critical even from a known place.
  const critical = reasons.length > 1 || change === 'recovery_changed';
  return { severity: critical ? 'critical' : 'warning', reasons: orderReasons(reasons) };
}
