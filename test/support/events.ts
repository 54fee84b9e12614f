/** Builders for contract-valid test records. */
import { randomUUID } from 'node:crypto';
import type { AccountSecurity } from '../../src/contracts/account-security.js';
import type { AuthEvent } from '../../src/contracts/auth-event.js';

export const UA_MAC_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';
export const UA_WIN_FIREFOX =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
export const IP_LONDON = '81.2.69.160';
export const IP_TOKYO = '126.0.0.1';
export const IP_SAO_PAULO = '177.71.128.1';

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

export function signIn(
  accountId: string,
  overrides: Partial<AuthEvent> & Record<string, unknown> = {},
): AuthEvent {
  return {
    event_id: `evt-${randomUUID()}`,
    schema_version: 1,
    type: 'login.succeeded',
    occurred_at: new Date().toISOString(),
    account_id: accountId,
    session_id: `sess-${randomUUID()}`,
    product: 'chatgpt',
    client: { ip: IP_LONDON, user_agent: UA_MAC_CHROME },
    auth: { method: 'passkey' },
    source: 'test',
    ...overrides,
  } as AuthEvent;
}

export function failedSignIn(accountId: string, at: Date): AuthEvent {
  return signIn(accountId, {
    type: 'login.failed',
    session_id: undefined,
    occurred_at: at.toISOString(),
    auth: { method: 'password', failure_reason: 'bad_password' },
  } as Partial<AuthEvent>);
}
