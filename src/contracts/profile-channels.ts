import type { AccountSecurity, Channel } from './account-security.js';

/**
 * The channels an account can be reached on: its preference (default: all) that have a contact,
 * less the channels that are off in this deployment (no provider, no outbox), so an alert never
 * lists a channel nothing delivers on.
 */
export function channelsFor(
  profile: AccountSecurity | undefined,
  routes?: Readonly<Partial<Record<Channel, string>>>,
): Channel[] {
  if (!profile?.advanced_security.enrolled) return [];
  const contacts = profile.contacts ?? {};
  const available: Channel[] = [];
  if (contacts.email) available.push('email');
  if (contacts.phone) available.push('sms');
  if (contacts.push_subscriptions && contacts.push_subscriptions.length > 0) available.push('push');
  const wanted = profile.preferences?.channels;
  return available.filter((c) => (!wanted || wanted.includes(c)) && routes?.[c] !== 'off');
}
