import type { Delivery } from '../channels/channel.js';
import { pushUrgency } from '../channels/push-payload.js';
import type { AccountSecurity, Channel as ChannelName } from '../contracts/account-security.js';
import type { NotificationRequest } from '../contracts/notification.js';
import { shortHash } from '../state/keys.js';
import { toPushPayload } from './push.js';
import type { Rendered } from './types.js';

/** Who one channel reaches for one account: an address, a number, or each push subscription. */
export function recipientsFor(channel: ChannelName, profile: AccountSecurity): string[] {
  const c = profile.contacts ?? {};
  if (channel === 'email') return c.email ? [c.email] : [];
  if (channel === 'sms') return c.phone ? [c.phone] : [];
  return (c.push_subscriptions ?? []).map((s) => s.endpoint);
}

const PUSH_TTL_S = 12 * 3600;

/** The channel-specific delivery of a rendered notice to one recipient. */
export function buildDelivery(
  channel: ChannelName,
  recipient: string,
  request: NotificationRequest,
  profile: AccountSecurity,
  rendered: Rendered,
  url: string,
): Delivery | undefined {
  const severity = request.alert?.severity ?? 'info';
  const base = {
    alertId: request.id,
    accountId: request.account_id,
    kind: request.alert?.kind ?? (request.kind as 'enrolled' | 'containment'),
    severity,
    idempotencyKey: `${request.id}:${channel}:${shortHash(recipient)}`,
  };
  if (channel === 'email') return { ...base, channel, to: recipient, ...rendered.email };
  if (channel === 'sms') return { ...base, channel, to: recipient, body: rendered.sms };
  const subscription = profile.contacts?.push_subscriptions?.find((s) => s.endpoint === recipient);
  if (!subscription) return undefined;
  return {
    ...base,
    channel,
    subscription,
    payload: toPushPayload(rendered.push, { url, kind: base.kind, severity, alertId: request.id }),
    ttlS: PUSH_TTL_S,
    urgency: pushUrgency({ severity }),
    // One topic per alert: a retried or repeated push replaces the waiting one instead of stacking.
    topic: shortHash(request.id).replace(/[^A-Za-z0-9_-]/g, '_'),
  };
}
