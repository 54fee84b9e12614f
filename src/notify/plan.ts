import type { AccountSecurity, Channel } from '../contracts/account-security.js';

/** The channels an account can be reached on: its preference (default: all) that have a contact. */
export function channelsFor(profile: AccountSecurity | undefined): Channel[] {
  if (!profile?.advanced_security.enrolled) return [];
  const contacts = profile.contacts ?? {};
  const available: Channel[] = [];
  if (contacts.email) available.push('email');
  if (contacts.phone) available.push('sms');
  if (contacts.push_subscriptions && contacts.push_subscriptions.length > 0) available.push('push');
  const wanted = profile.preferences?.channels;
  return wanted ? available.filter((c) => wanted.includes(c)) : available;
}
