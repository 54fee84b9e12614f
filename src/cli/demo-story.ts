import { randomUUID } from 'node:crypto';
import type { AccountSecurity } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';

/** One step of the demo: an event and what the person watching should expect from it. */
export interface StoryStep {
  event: AuthEvent;
  says: string;
}

const UA = {
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  winFirefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0',
  linuxCurl: 'python-requests/2.32.3',
};

/** Profiles and events for one run; ids are fresh each run so the story can be played again. */
export function buildStory(now: number) {
  const run = randomUUID().slice(0, 8);
  const ana = `acct-ana-${run}`;
  const ben = `acct-ben-${run}`;
  const cai = `acct-cai-${run}`;
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const profile = (account: string, enrolled: boolean, extra: Partial<AccountSecurity>): AccountSecurity => ({
    account_id: account,
    schema_version: 1,
    updated_at: new Date(now).toISOString(),
    advanced_security: { enrolled },
    ...extra,
  });
  const profiles: AccountSecurity[] = [
    profile(ana, true, {
      contacts: {
        email: `ana.souza+${run}@example.com`,
        phone: '+5511912345678',
        push_subscriptions: [
          {
            endpoint: `https://push.example.net/send/${run}`,
            keys: {
              p256dh:
                'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
              auth: 'tBHItJI5svbpez7KI4CCXg',
            },
          },
        ],
      },
      preferences: { locale: 'pt-BR', timezone: 'America/Sao_Paulo' },
    }),
    profile(ben, true, {
      contacts: { email: `ben.hale+${run}@example.com` },
      preferences: { locale: 'en', timezone: 'Europe/London' },
    }),
    profile(cai, false, { contacts: { email: `cai+${run}@example.com` } }),
  ];
  let n = 0;
  const event = (
    e: Omit<AuthEvent, 'event_id' | 'schema_version' | 'source'> & { event_id?: string },
  ): AuthEvent =>
    ({ event_id: e.event_id ?? `evt-${run}-${++n}`, schema_version: 1, source: 'demo', ...e }) as AuthEvent;
  const first = event({
    type: 'login.succeeded',
    occurred_at: at(25),
    account_id: ana,
    session_id: `sess-${run}-1`,
    product: 'chatgpt',
    client: { ip: '177.71.128.1', user_agent: UA.macChrome, device_id: `dev-${run}-mac` },
    auth: { method: 'passkey' },
  });
  // Two days ago, on the same Mac: this makes São Paulo and the Mac "usual" for Ana. Older than the
  // maximum alert age, so it reaches the security topics marked stale and notifies nobody.
  const usual: AuthEvent = {
    ...first,
    event_id: `evt-${run}-usual`,
    session_id: `sess-${run}-0`,
    occurred_at: new Date(now - 2 * 86_400_000).toISOString(),
  };
  const steps: StoryStep[] = [
    { event: usual, says: 'two days ago: Ana on her Mac in São Paulo (history)' },
    { event: first, says: 'Ana signs in with a passkey from her usual place' },
    {
      event: { ...first, event_id: `evt-${run}-refresh-1`, occurred_at: at(24) },
      says: 'the same session, reported again by a second service',
    },
    {
      event: { ...first, event_id: `evt-${run}-refresh-2`, occurred_at: at(23) },
      says: 'the same session once more',
    },
    { event: first, says: 'the first event redelivered (same event id)' },
    {
      event: event({
        type: 'login.succeeded',
        occurred_at: at(5),
        account_id: ana,
        session_id: `sess-${run}-2`,
        product: 'chatgpt',
        client: { ip: '126.0.0.1', user_agent: UA.winFirefox },
        auth: { method: 'passkey' },
      }),
      says: '20 minutes later: a new device in Tokyo',
    },
    ...[4, 3, 2].map((m) => ({
      event: event({
        type: 'login.failed',
        occurred_at: at(m),
        account_id: ana,
        product: 'api',
        client: { ip: '185.220.101.1', user_agent: UA.linuxCurl },
        auth: { method: 'password', failure_reason: 'bad_password' },
      }),
      says: 'a password attempt fails from a Berlin server',
    })),
    {
      event: event({
        type: 'credential.added',
        occurred_at: at(1),
        account_id: ana,
        product: 'chatgpt',
        client: { ip: '177.71.128.1', user_agent: UA.macChrome, device_id: `dev-${run}-mac` },
        auth: { method: 'passkey', credential_id: `key-${run}` },
      }),
      says: 'Ana adds a security key',
    },
    {
      event: event({
        type: 'login.succeeded',
        occurred_at: at(3),
        account_id: ben,
        session_id: `sess-${run}-ben`,
        product: 'codex',
        client: { ip: '81.2.69.160', user_agent: UA.iphone },
        auth: { method: 'security_key' },
      }),
      says: 'Ben signs in with a security key from London',
    },
    {
      event: event({
        type: 'login.succeeded',
        occurred_at: at(2),
        account_id: cai,
        session_id: `sess-${run}-cai`,
        product: 'chatgpt',
        client: { ip: '104.16.0.1', user_agent: UA.macChrome },
        auth: { method: 'password' },
      }),
      says: 'Cai (not enrolled) signs in with a password',
    },
  ];
  return { run, profiles, steps };
}
