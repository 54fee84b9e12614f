/** Builders for contract-valid test records. */
import { randomUUID } from 'node:crypto';
import type { AccountSecurity } from '../../src/contracts/account-security.js';
import type { AuthEvent } from '../../src/contracts/auth-event.js';
import { ADDRESSES, authEvent, type EventFields, USER_AGENTS } from '../../src/pipeline/synthetic.js';

export const UA_MAC_CHROME = USER_AGENTS.macChrome;
export const UA_WIN_FIREFOX = USER_AGENTS.winFirefox;
export const IP_LONDON = ADDRESSES.london;
export const IP_TOKYO = ADDRESSES.tokyo;
export const IP_SAO_PAULO = ADDRESSES.saoPaulo;

export function profile(accountId: string, overrides: Partial<AccountSecurity> = {}): AccountSecurity {
  return {
    account_id: accountId,
    schema_version: 1,
    updated_at: new Date().toISOString(),
    advanced_security: { enrolled: true },
    contacts: { email: `${accountId}@example.com` },
    preferences: { locale: 'en', timezone: 'Europe/London' },
    ...overrides,
  };
}

/** A passkey sign-in from London on a Mac, now (the shared generator's defaults), named `test`. */
export function signIn(
  accountId: string,
  overrides: Partial<AuthEvent> & Record<string, unknown> = {},
): AuthEvent {
  return authEvent({
    account_id: accountId,
    session_id: `sess-${randomUUID()}`,
    source: 'test',
    ...overrides,
  } as EventFields);
}

export function failedSignIn(accountId: string, at: Date): AuthEvent {
  return signIn(accountId, {
    type: 'login.failed',
    session_id: undefined,
    occurred_at: at.toISOString(),
    auth: { method: 'password', failure_reason: 'bad_password' },
  } as Partial<AuthEvent>);
}
