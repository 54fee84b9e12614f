import { createHash } from 'node:crypto';

/**
 * Every key of one account shares the `la:{<account>}:` prefix: the braces are a Redis Cluster hash
 * tag (one slot per account) and the prefix is what a tombstone deletes.
 */
export function accountPrefix(accountId: string): string {
  return `la:{${accountId}}:`;
}

/** A short, fixed-length digest: keeps keys small when ids are long (sessions, endpoints). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

export const keys = {
  profile: (account: string) => `${accountPrefix(account)}profile`,
  history: (account: string) => `${accountPrefix(account)}history`,
  /** The enrollment last published to privacy.training-exclusions: 'true' or 'false'. */
  excluded: (account: string) => `${accountPrefix(account)}excluded`,
  failures: (account: string) => `${accountPrefix(account)}failures`,
  event: (account: string, eventId: string) => `${accountPrefix(account)}e:${shortHash(eventId)}`,
  session: (account: string, sessionId: string) => `${accountPrefix(account)}s:${shortHash(sessionId)}`,
  delivery: (account: string, alertId: string, channel: string, recipient: string) =>
    `${accountPrefix(account)}d:${shortHash(`${alertId}|${channel}|${recipient}`)}`,
  smsSuppressed: (account: string, phone: string) => `${accountPrefix(account)}sms-stop:${shortHash(phone)}`,
  linkUsed: (account: string, alertId: string) => `${accountPrefix(account)}link:${shortHash(alertId)}`,
};
