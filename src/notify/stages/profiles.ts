// The one place delivery reads profiles, and the one write it makes to them.
import type { AccountSecurity } from '../../contracts/account-security.js';
import { keys } from '../../state/keys.js';
import type { Store, WriteOp } from '../../state/store.js';

/** A profile as read from the store: the parsed value and the exact text it was read as. */
export interface StoredProfile {
  value: AccountSecurity;
  text: string;
}

export type Profiles = Map<string, StoredProfile | undefined>;

/** Each account's stored profile (undefined when it has none), in one store read. */
export async function readProfiles(store: Store, accounts: string[]): Promise<Profiles> {
  const texts = await store.read(accounts.map((a) => keys.profile(a)));
  return new Map(
    accounts.map((a, i) => {
      const text = texts[i];
      return [a, text ? { value: JSON.parse(text) as AccountSecurity, text } : undefined];
    }),
  );
}

/**
 * The profile without push subscriptions the push service said are gone, written only while the
 * stored profile is still the one read before the sends: a newer account.security update (or a
 * tombstone) that landed meanwhile wins, and a gone subscription it still lists is dropped the
 * next time a push to it fails.
 */
export function withoutSubscriptions(profile: StoredProfile, gone: Set<string>): WriteOp {
  const subs = profile.value.contacts?.push_subscriptions ?? [];
  const next = {
    ...profile.value,
    contacts: { ...profile.value.contacts, push_subscriptions: subs.filter((s) => !gone.has(s.endpoint)) },
  };
  const key = keys.profile(profile.value.account_id);
  return { op: 'cas', key, expect: profile.text, value: JSON.stringify(next) };
}
