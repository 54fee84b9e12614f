/**
 * The benchmark's workload: a realistic mix of AuthEvents for many accounts, a tenth of them enrolled.
 * Deterministic for a given seed, so runs are comparable.
 */
import { readFileSync } from 'node:fs';
import type { AccountSecurity } from '../src/contracts/account-security.js';
import { classifyIp } from '../src/enrich/ip.js';
import { alertId } from '../src/pipeline/alerts.js';
import { rng } from '../src/pipeline/synthetic.js';

export { rng };

export const UA_CORPUS = readFileSync(
  new URL('../test/fixtures/user-agents/uap-core-corpus.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.length > 0);

/** Draws from `items` with a Zipf(1.1) popularity, as user agents are in production traffic. */
export function zipfPicker<T>(items: readonly T[], next: () => number): () => T {
  const weights = items.map((_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cumulative = weights.map((w) => (acc += w / total));
  return () => {
    const x = next();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

/** A random public IPv4 address (spread over the geo database). */
export function publicIpv4(next: () => number): string {
  for (;;) {
    const ip = `${1 + Math.floor(next() * 223)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${1 + Math.floor(next() * 254)}`;
    if (classifyIp(ip)?.network === 'public') return ip;
  }
}

export interface Workload {
  prefix: string;
  accounts: string[];
  enrolled: string[];
  profiles: { key: string; value: string }[];
  /** The enrolled sign-ins' alert ids (one per distinct session), each with its event's index. */
  enrolledSessions: Map<string, number>;
  counts: Record<string, number>;
}

/**
 * Builds `n` events (as JSON strings keyed by account), handing each to `emit` in order. One account
 * in `enrolledEvery` is enrolled. `storm`: every event is a successful sign-in in a session not seen
 * before (an alert storm: a forced sign-out of everyone, a new app version that looks like a new
 * device); with `enrolledEvery` 1 every event alerts.
 */
export function buildWorkload(
  n: number,
  prefix: string,
  emit: (index: number, key: string, value: string) => void,
  seed = 1,
  enrolledEvery = 10,
  { storm = false }: { storm?: boolean } = {},
): Workload {
  const next = rng(seed);
  const accountCount = Math.max(100, Math.round(n / 10));
  const accounts = Array.from({ length: accountCount }, (_, i) => `${prefix}-acct-${i}`);
  const enrolled = accounts.filter((_, i) => i % enrolledEvery === 0);
  const enrolledSet = new Set(enrolled);
  const now = Date.now();
  const profiles = enrolled.map((a) => {
    const p: AccountSecurity = {
      account_id: a,
      schema_version: 1,
      updated_at: new Date(now - 86_400_000).toISOString(),
      advanced_security: { enrolled: true },
      contacts: { email: `${a}@example.com` },
      preferences: { locale: next() < 0.2 ? 'pt-BR' : 'en', timezone: 'Europe/London' },
    };
    return { key: a, value: JSON.stringify(p) };
  });
  const ua = zipfPicker(UA_CORPUS, next);
  const methods = ['passkey', 'passkey', 'security_key', 'password_otp', 'sso', 'password'] as const;
  const sessions: { account: string; session: string }[] = [];
  const enrolledSessions = new Map<string, number>();
  const counts: Record<string, number> = { signin: 0, signin_repeat: 0, failed: 0, change: 0, invalid: 0 };

  for (let i = 0; i < n; i++) {
    const account = accounts[Math.floor(next() * accounts.length)]!;
    const base = {
      event_id: `${prefix}-e${i}`,
      schema_version: 1,
      occurred_at: new Date(now + i).toISOString(),
      account_id: account,
      product: next() < 0.7 ? 'chatgpt' : 'api',
      client: { ip: publicIpv4(next), user_agent: ua() },
      source: 'bench',
    };
    const roll = storm ? 1 : next();
    let value: string;
    if (roll < 0.01) {
      counts.invalid!++;
      const bad = i % 3;
      value =
        bad === 0
          ? `{"event_id":"${base.event_id}", truncated`
          : bad === 1
            ? JSON.stringify({ ...base, type: 'login.succeeded', client: { ip: '999.0.0.1' } })
            : JSON.stringify({ ...base, type: 'login.teleported', auth: { method: 'passkey' } });
      emit(i, account, value);
      continue;
    }
    if (roll < 0.05) {
      counts.failed!++;
      value = JSON.stringify({
        ...base,
        type: 'login.failed',
        auth: { method: 'password', failure_reason: 'bad_password' },
      });
    } else if (roll < 0.06) {
      counts.change!++;
      value = JSON.stringify({
        ...base,
        type: 'credential.added',
        auth: { method: 'passkey', credential_id: `c${i}` },
      });
    } else {
      // A third of session events repeat an earlier session (retries, redeliveries, several services).
      let s: { account: string; session: string };
      if (!storm && sessions.length > 0 && next() < 1 / 3) {
        s = sessions[Math.floor(next() * sessions.length)]!;
        counts.signin_repeat!++;
      } else {
        s = { account, session: `${prefix}-s${i}` };
        sessions.push(s);
        counts.signin!++;
        if (enrolledSet.has(account)) enrolledSessions.set(alertId('new_login', account, s.session), i);
      }
      value = JSON.stringify({
        ...base,
        account_id: s.account,
        type: 'login.succeeded',
        session_id: s.session,
        auth: { method: methods[Math.floor(next() * methods.length)]! },
      });
      emit(i, s.account, value);
      continue;
    }
    emit(i, account, value);
  }
  return { prefix, accounts, enrolled, profiles, enrolledSessions, counts };
}
