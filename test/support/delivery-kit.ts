/** Helpers for the delivery tests: quiet enrolment, receipts, and waiting on a condition. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AccountSecurity } from '../../src/contracts/account-security.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { DeliveryReceipt } from '../../src/contracts/records.js';
import { keys } from '../../src/state/keys.js';
import { uniqueName } from './env.js';
import { profile, signIn } from './events.js';
import type { TestPipeline, Watch } from './pipeline-harness.js';

/** Polls `check` until it returns a value other than undefined/false; throws with `what` on timeout. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Enrols an account without the enrolment notice: first enrolled with no contact (nothing to
 * notify), then the contacts arrive (enrolment unchanged, so no notice). The providers' scripted
 * answers and counts then belong to the alerts under test alone.
 */
export async function enrolQuietly(
  t: TestPipeline,
  contacts: AccountSecurity['contacts'],
  preferences: AccountSecurity['preferences'] = { locale: 'en', timezone: 'Europe/London' },
): Promise<{ account: string; profile: AccountSecurity }> {
  const account = uniqueName('acct');
  const first = profile(account, {
    updated_at: new Date(Date.now() - 1_000).toISOString(),
    contacts: {},
    preferences,
  });
  const full = profile(account, { contacts, preferences });
  await t.publish('accountSecurity', [
    { key: account, value: first },
    { key: account, value: full },
  ]);
  await until(`profile of ${account}`, async () => {
    const [text] = await t.pipeline.services.store.read([keys.profile(account)]);
    return text !== undefined && (JSON.parse(text) as AccountSecurity).updated_at === full.updated_at;
  });
  return { account, profile: full };
}

/** The receipts of one account so far, in order. */
export function receiptsOf(w: Watch, account: string): DeliveryReceipt[] {
  return w.values.filter((v) => v.key === account).map((v) => v.value as DeliveryReceipt);
}

/** Waits for a receipt of `account` matching `match`; returns it. */
export function receipt(
  w: Watch,
  account: string,
  match: (r: DeliveryReceipt) => boolean,
  timeoutMs = 15_000,
): Promise<DeliveryReceipt> {
  return until(`a receipt for ${account}`, () => receiptsOf(w, account).find(match), timeoutMs);
}

/** The stored profile of an account, as the dispatcher sees it. */
export async function storedProfile(t: TestPipeline, account: string): Promise<AccountSecurity | undefined> {
  const [text] = await t.pipeline.services.store.read([keys.profile(account)]);
  return text === undefined ? undefined : (JSON.parse(text) as AccountSecurity);
}

/** A dispatcher's configuration for unit tests: short windows, the given delivery settings. */
export function dispatcherConfig(delivery: { maxAttempts: number; backoffMs: number[] }) {
  return {
    topics: { deliveries: 'd', retry: 'r', dlq: 'q' } as never,
    links: {
      secret: 'x'.repeat(32),
      secretIsEphemeral: false,
      ttlMs: 60_000,
      publicBaseUrl: 'https://a.test',
    },
    delivery,
    windows: {
      sessionDedupeMs: 60_000,
      eventDedupeMs: 0,
      historyMs: 0,
      failureWindowMs: 0,
      maxAlertAgeMs: 0,
    },
  };
}

/** A renderer that renders the same few words: for tests of what happens around rendering. */
export const stubRenderer = {
  render: () => ({
    locale: 'en',
    email: { subject: 's', html: 'h', text: 't' },
    sms: 's',
    push: { title: 't', body: 'b' },
  }),
};

/**
 * A sign-in of `account` as Auth0 reports it (its idp block naming `session`), known to an Auth0-shaped
 * mock through `users` and `sessions`; resolves with the new-sign-in alert it made.
 */
export async function auth0SignIn(
  t: TestPipeline,
  alerts: Watch,
  known: { users: Set<string>; sessions: Set<string> },
  account: string,
  session: string,
): Promise<LoginAlert> {
  const idUser = `auth0|${account}`;
  known.users.add(idUser);
  known.sessions.add(session);
  await t.publish('authEvents', [
    {
      key: account,
      value: signIn(account, { idp: { provider: 'auth0', user_id: idUser, session_id: session } }),
    },
  ]);
  return until('the new-sign-in alert', () =>
    alerts.values
      .map((v) => v.value as LoginAlert)
      .find((a) => a.account_id === account && a.kind === 'new_login'),
  );
}
