/**
 * Remembered credentials through the decision of each event: credential.added and credential.removed
 * of an enrolled account change them, sign-ins are judged against them and name their authenticator,
 * and an account that is not enrolled never has them read or written.
 */
import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '../../src/config/config.js';
import type { AuthEvent } from '../../src/contracts/auth-event.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { type GeoLookup, openGeo } from '../../src/enrich/geo.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import { ChunkState } from '../../src/pipeline/chunk-state.js';
import { type DecideContext, decideEvent } from '../../src/pipeline/decide.js';
import { createLoginEventsHandler } from '../../src/pipeline/login-events.js';
import { authEvent } from '../../src/pipeline/synthetic.js';
import { type CredentialMemory, recall, rememberAdded } from '../../src/risk/credentials.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { Store } from '../../src/state/store.js';
import { profile } from '../support/events.js';

const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const config = loadConfig({});
const devices = createDeviceParser();
let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeo({});
});
afterAll(() => geo.close());

function context(enrolled: boolean, audience: 'enrolled' | 'all' = 'enrolled'): DecideContext {
  const state = new ChunkState();
  const p = JSON.stringify(profile('acct-1', { advanced_security: { enrolled } }));
  state.load([keys.profile('acct-1'), keys.credentials('acct-1')], [p, undefined]);
  return {
    state,
    devices,
    geo,
    config: { ...config, securityTopicAudience: audience },
    startedAt: Date.now(),
  };
}

const added = (credentialId: string, aaguid?: string): AuthEvent =>
  authEvent({
    account_id: 'acct-1',
    type: 'credential.added',
    auth: { method: 'passkey', credential_id: credentialId, ...(aaguid ? { aaguid } : {}) },
  });
const removed = (credentialId: string): AuthEvent =>
  authEvent({
    account_id: 'acct-1',
    type: 'credential.removed',
    auth: { method: 'passkey', credential_id: credentialId },
  });
const signInWith = (credentialId: string | undefined): AuthEvent =>
  authEvent({
    account_id: 'acct-1',
    auth:
      credentialId === undefined
        ? { method: 'passkey' }
        : { method: 'security_key', credential_id: credentialId },
  });
const memoryOf = (ctx: DecideContext) => ctx.state.get<CredentialMemory>(keys.credentials('acct-1'));

describe('decisions with remembered credentials', () => {
  it('names the authenticator of an added credential and of a sign-in with it', () => {
    const ctx = context(true);
    const add = decideEvent(added('cred-yk', YUBIKEY_5.toUpperCase()), ctx).alert;
    expect(add?.authenticator).toBe('YubiKey 5 Series');
    expect(recall(memoryOf(ctx), 'cred-yk')).toMatchObject({ aaguid: YUBIKEY_5, registered: true });
    const use = decideEvent(signInWith('cred-yk'), ctx).alert;
    expect(use?.authenticator).toBe('YubiKey 5 Series');
    expect(use?.reasons).not.toContain('unknown_credential');
    const write = ctx.state.writes().find((w) => w.key === keys.credentials('acct-1'));
    expect(write).toMatchObject({
      op: 'set',
      ttlMs: config.windows.historyMs,
      guard: keys.profile('acct-1'),
    });
  });

  it('names nothing for an unknown AAGUID or a credential registered without one', () => {
    const ctx = context(true);
    expect(
      decideEvent(added('cred-a', '01234567-89ab-cdef-0123-456789abcdef'), ctx).alert,
    ).not.toHaveProperty('authenticator');
    expect(decideEvent(added('cred-b'), ctx).alert).not.toHaveProperty('authenticator');
    expect(decideEvent(signInWith('cred-b'), ctx).alert).not.toHaveProperty('authenticator');
  });

  it('flags a sign-in with a credential never registered as critical, once', () => {
    const ctx = context(true);
    decideEvent(added('cred-yk', YUBIKEY_5), ctx);
    const first = decideEvent(signInWith('cred-other'), ctx).alert;
    expect(first?.reasons).toContain('unknown_credential');
    expect(first?.severity).toBe('critical');
    expect(first).not.toHaveProperty('authenticator');
    expect(decideEvent(signInWith('cred-other'), ctx).alert?.reasons).not.toContain('unknown_credential');
  });

  it('flags a sign-in with a removed credential', () => {
    const ctx = context(true);
    decideEvent(added('cred-1'), ctx);
    decideEvent(added('cred-2'), ctx);
    decideEvent(removed('cred-1'), ctx);
    expect(recall(memoryOf(ctx), 'cred-1')).toBeUndefined();
    expect(decideEvent(signInWith('cred-1'), ctx).alert?.reasons).toContain('unknown_credential');
  });

  it('does not flag sign-ins of an account with no registered credential', () => {
    const ctx = context(true);
    expect(decideEvent(signInWith('cred-old-1'), ctx).alert?.reasons).not.toContain('unknown_credential');
    expect(decideEvent(signInWith('cred-old-2'), ctx).alert?.reasons).not.toContain('unknown_credential');
    expect(decideEvent(signInWith(undefined), ctx).alert?.reasons).not.toContain('unknown_credential');
  });

  it('never reads or writes credentials of an account that is not enrolled', () => {
    const ctx = context(false, 'all');
    // A memory that would flag the sign-in if it were read.
    const stored = rememberAdded(undefined, 'cred-registered', undefined, Date.now());
    ctx.state.put(keys.credentials('acct-1'), stored, 1);
    const credentialWrites = () => ctx.state.writes().filter((w) => w.key === keys.credentials('acct-1'));
    const before = credentialWrites();
    const add = decideEvent(added('cred-yk', YUBIKEY_5), ctx);
    const use = decideEvent(signInWith('cred-other'), ctx);
    expect(add.outcome).toBe('published');
    expect(add.alert).not.toHaveProperty('authenticator');
    expect(use.alert?.reasons).not.toContain('unknown_credential');
    expect(memoryOf(ctx)).toEqual(stored);
    expect(credentialWrites()).toEqual(before);
  });
});

describe('credential reads in a chunk', () => {
  function record(e: AuthEvent, offset: number): InRecord {
    return {
      topic: 'auth.events',
      partition: 0,
      message: {
        key: Buffer.from(e.account_id),
        value: Buffer.from(JSON.stringify(e)),
        offset: String(offset),
        timestamp: String(Date.now()),
        attributes: 0,
        headers: {},
      } as KafkaMessage,
    };
  }

  it('reads an account’s credentials in a backlog only when the account is enrolled', async () => {
    const store = createMemoryStore();
    const read: string[] = [];
    const counting: Store = {
      ...store,
      read: (k) => {
        read.push(...k);
        return store.read(k);
      },
    };
    await store.write([{ op: 'set', key: keys.profile('in'), value: JSON.stringify(profile('in')) }]);
    const handler = createLoginEventsHandler({
      store: counting,
      devices,
      geo,
      publisher: { publish: async () => {}, close: async () => {} },
      config,
    });
    const events = Array.from({ length: 60 }, (_, i) =>
      authEvent({
        account_id: i % 2 ? 'in' : 'out',
        auth: { method: 'passkey', credential_id: `cred-${i}` },
      }),
    );
    await handler(events.map(record)); // over 50 events: profiles first, then the judged accounts' keys
    expect(read).toContain(keys.credentials('in'));
    expect(read).not.toContain(keys.credentials('out'));
  });
});
