/**
 * The one generator of synthetic AuthEvents: warm-up, demo, bench and tests build their events
 * here. `authEvent` fills a contract-valid event around the fields a caller cares about; `rng` is
 * the seeded source that keeps generated workloads comparable; `syntheticEvent` is the mix of
 * shapes real traffic has (sign-ins new and repeated, failures, changes, malformed records).
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { AuthEvent } from '../contracts/auth-event.js';
import type { InRecord } from '../kafka/consumer-loop.js';

export const USER_AGENTS = {
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  winFirefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36',
  curl: 'curl/8.5.0',
  pythonRequests: 'python-requests/2.32.3',
} as const;

/** Addresses the bundled geo data places: London, Tokyo, São Paulo. */
export const ADDRESSES = { london: '81.2.69.160', tokyo: '126.0.0.1', saoPaulo: '177.71.128.1' } as const;

/** mulberry32: small, fast, deterministic for a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a caller gives `authEvent`: the account, and any field it wants other than the defaults. */
export type EventFields = { account_id: string } & Partial<AuthEvent> & Record<string, unknown>;

/**
 * A contract-valid AuthEvent: a passkey sign-in to chatgpt from London on a Mac, now, with fresh
 * event and session ids, unless `fields` says otherwise (a field set to undefined is left out).
 */
export function authEvent(fields: EventFields): AuthEvent {
  const event: Record<string, unknown> = {
    event_id: `evt-${randomUUID()}`,
    schema_version: 1,
    type: 'login.succeeded',
    occurred_at: new Date().toISOString(),
    session_id: fields.type && fields.type !== 'login.succeeded' ? undefined : `sess-${randomUUID()}`,
    product: 'chatgpt',
    client: { ip: ADDRESSES.london, user_agent: USER_AGENTS.macChrome },
    auth: { method: 'passkey' },
    source: 'synthetic',
    ...fields,
  };
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
  return event as AuthEvent;
}

const MIX_AGENTS = [
  USER_AGENTS.macChrome,
  USER_AGENTS.iphone,
  USER_AGENTS.winFirefox,
  USER_AGENTS.androidChrome,
  USER_AGENTS.curl,
];
const MIX_ADDRESSES = [
  '81.2.69.160',
  '8.8.8.8',
  '1.1.1.1',
  '2001:4860:4860::8888',
  '89.160.20.112',
  '10.1.2.3',
];

/** Options for the mix: the accounts it spreads over and the `source` its events name. */
export interface MixOptions {
  accounts: readonly string[];
  source: string;
  now?: number;
}

/**
 * The n-th record of the mix, deterministic in n: six in ten sign-ins (a third repeating an
 * earlier session), three failures, one credential change; one record in 97 is malformed JSON.
 */
export function syntheticEvent(topic: string, n: number, options: MixOptions): InRecord {
  const account = options.accounts[n % options.accounts.length]!;
  if (n % 97 === 0) return inRecord(topic, account, '{"event_id": 42, "type": "login.succeeded"');
  const base = {
    account_id: account,
    event_id: `${options.source}-${n}`,
    occurred_at: new Date((options.now ?? Date.now()) - 1_000).toISOString(),
    client: {
      ip: MIX_ADDRESSES[n % MIX_ADDRESSES.length]!,
      user_agent: MIX_AGENTS[(n >> 2) % MIX_AGENTS.length]!,
      device_id: `dev-${n % 7}`,
    },
    source: options.source,
  };
  const kind = n % 10;
  const event =
    kind < 6
      ? authEvent({
          ...base,
          auth: { method: n % 5 === 0 ? 'password' : 'passkey' },
          session_id: `s-${n % 3 === 0 ? n - 3 : n}`,
        })
      : kind < 9
        ? authEvent({
            ...base,
            type: 'login.failed',
            auth: { method: 'password', failure_reason: 'bad_password' },
          })
        : authEvent({
            ...base,
            type: 'credential.added',
            auth: { method: 'passkey', credential_id: `cred-${n % 5}` },
          });
  return inRecord(topic, account, event);
}

/** A consumed record as the consumer loop hands it over, for in-process runs (warm-up, benches). */
export function inRecord(
  topic: string,
  key: string,
  value: unknown,
  headers: Record<string, string> = {},
): InRecord {
  const message = {
    key: Buffer.from(key),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    timestamp: String(Date.now()),
    offset: '0',
    attributes: 0,
    headers,
  } as KafkaMessage;
  return { topic, partition: 0, message };
}
