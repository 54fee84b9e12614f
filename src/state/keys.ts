import { hash } from 'node:crypto';

/**
 * The account id as keys carry it: `%`, `{` and `}` percent-encoded. No `}` is left inside, so the
 * hash tag ends where the id ends, and the encoding is one-to-one, so no account's prefix is the
 * start of another's key (`v` and `v}:x` are `la:{v}:` and `la:{v%7D:x}:`).
 */
export function keyAccountId(accountId: string): string {
  return accountId.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Every key of one account shares the `la:{<account>}:` prefix: the braces are a Redis Cluster hash
 * tag (one slot per account) and the prefix is what a tombstone deletes.
 */
export function accountPrefix(accountId: string): string {
  return `la:{${keyAccountId(accountId)}}:`;
}

/** True for a profile key (`la:{<account>}:profile`): the state the memory store never evicts. */
export function isProfileKey(key: string): boolean {
  return key.startsWith('la:{') && key.endsWith('}:profile') && key.indexOf('}') === key.length - 9;
}

/** The prefix of the Shared Signals streams, their subjects and their queues (one hash tag: one slot). */
export const SIGNALS_PREFIX = 'la:ssf:{ssf}:';

/**
 * True for state the memory store never evicts: profiles, and the Shared Signals streams and queues
 * (an evicted stream would silently stop a receiver's events).
 */
export function isDurableKey(key: string): boolean {
  return isProfileKey(key) || key.startsWith(SIGNALS_PREFIX);
}

/**
 * True for a link-use claim (`la:{<account>}:link:<hash>`): the single-use mark of a report link,
 * which the memory store never evicts before its TTL (an evicted claim would let a link be used twice).
 */
export function isLinkUsedKey(key: string): boolean {
  const end = key.indexOf('}');
  return key.startsWith('la:{') && end > 0 && key.startsWith('}:link:', end);
}

/** A short, fixed-length digest: keeps keys small when ids are long (sessions, endpoints). */
export function shortHash(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 16);
}

export const keys = {
  profile: (account: string) => `${accountPrefix(account)}profile`,
  history: (account: string) => `${accountPrefix(account)}history`,
  /** The enrollment last published to privacy.training-exclusions: 'true' or 'false'. */
  excluded: (account: string) => `${accountPrefix(account)}excluded`,
  failures: (account: string) => `${accountPrefix(account)}failures`,
  /** The account's remembered WebAuthn credentials (a bounded map, see risk/credentials.ts). */
  credentials: (account: string) => `${accountPrefix(account)}creds`,
  event: (account: string, eventId: string) => `${accountPrefix(account)}e:${shortHash(eventId)}`,
  session: (account: string, sessionId: string) => `${accountPrefix(account)}s:${shortHash(sessionId)}`,
  delivery: (account: string, alertId: string, channel: string, recipient: string) =>
    `${accountPrefix(account)}d:${shortHash(`${alertId}|${channel}|${recipient}`)}`,
  smsSuppressed: (account: string, phone: string) => `${accountPrefix(account)}sms-stop:${shortHash(phone)}`,
  linkUsed: (account: string, alertId: string) => `${accountPrefix(account)}link:${shortHash(alertId)}`,
  /** What a report of this alert would end (see respond/target.ts), kept while its link can be used. */
  reportTarget: (account: string, alertId: string) => `${accountPrefix(account)}rt:${shortHash(alertId)}`,
  /** The claim, then the outcome, of one containment action for one reported alert. */
  response: (account: string, alertId: string, action: string) =>
    `${accountPrefix(account)}rs:${shortHash(`${alertId}|${action}`)}`,
};
