/**
 * The Shared Signals core alone: which SETs a record means (CAEP 1.0, RISC 1.0), their ids on a
 * replay, how a receiver's push answer is judged (RFC 8935), signing (RFC 8417 / SSF 1.0 §4) checked
 * with jose's own verifier, and the transmitter's settings.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadConfig } from '../../src/config/config.js';
import { productionProblems } from '../../src/config/production.js';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import type { ResponseRecord } from '../../src/contracts/records.js';
import { EVENT_TYPES } from '../../src/contracts/shared-signals.js';
import { DEFAULT_TEMPLATES_DIR } from '../../src/notify/render.js';
import {
  jtiFor,
  REASON_USER,
  reasonLanguage,
  setsFromAlert,
  setsFromResponse,
  verificationBody,
} from '../../src/signals/events.js';
import { classifyPush } from '../../src/signals/push.js';
import { createStreamQueue } from '../../src/signals/queue.js';
import { createSigner } from '../../src/signals/signer.js';
import { createStreamRepository, signalKeys } from '../../src/signals/streams.js';
import { createMemoryStore } from '../../src/state/memory.js';

const alert = (fields: Partial<LoginAlert>): LoginAlert => ({
  alert_id: 'al_1',
  event_id: 'ev_1',
  account_id: 'acct-1',
  kind: 'account_change',
  severity: 'warning',
  reasons: ['credential_added'],
  occurred_at: '2026-12-06T10:00:00.000Z',
  detected_at: '2026-12-06T10:00:01.000Z',
  product: 'chatgpt',
  auth_method: 'passkey',
  event_type: 'credential.added',
  channels: ['email'],
  enrolled: true,
  stale: false,
  ...fields,
});

const response = (fields: Partial<ResponseRecord> = {}): ResponseRecord => ({
  response_id: 'rs_1',
  alert_id: 'al_reported',
  account_id: 'acct-1',
  idp: 'auth0',
  action: 'session_revoked',
  status: 'done',
  at: '2026-12-06T10:05:00.000Z',
  ...fields,
});

describe('which SETs a record means', () => {
  it('a passkey added to an enrolled account is a CAEP credential-change (fido2-platform, create) with its name and AAGUID', () => {
    const aaguid = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
    const [set, ...rest] = setsFromAlert(alert({ authenticator: 'iCloud Keychain', aaguid }));
    expect(rest).toHaveLength(0);
    expect(set).toMatchObject({
      type: EVENT_TYPES.credentialChange,
      sub_id: { format: 'opaque', id: 'acct-1' },
      payload: {
        credential_type: 'fido2-platform',
        change_type: 'create',
        friendly_name: 'iCloud Keychain',
        fido2_aaguid: aaguid,
        event_timestamp: Date.parse('2026-12-06T10:00:00.000Z') / 1000,
      },
    });
  });

  it('a security key removed is fido2-roaming / delete; unenrolled accounts, sign-ins and unnamed methods give none', () => {
    const removed = setsFromAlert(
      alert({
        event_type: 'credential.removed',
        reasons: ['credential_removed'],
        auth_method: 'security_key',
      }),
    );
    expect(removed[0]?.payload).toMatchObject({ credential_type: 'fido2-roaming', change_type: 'delete' });
    expect(removed[0]?.payload).not.toHaveProperty('fido2_aaguid');
    expect(setsFromAlert(alert({ enrolled: false }))).toEqual([]);
    expect(setsFromAlert(alert({ kind: 'new_login', event_type: 'login.succeeded' }))).toEqual([]);
    expect(setsFromAlert(alert({ auth_method: 'magic_link' }))).toEqual([]);
    expect(setsFromAlert(alert({ event_type: 'recovery.changed' }))).toEqual([]);
  });

  it("a report is RISC account-credential-change-required sharing its txn with the report's session-revoked", () => {
    const [risc] = setsFromAlert(
      alert({
        alert_id: 'al_report',
        kind: 'user_reported',
        reasons: ['user_reported'],
        reported_alert_id: 'al_reported',
      }),
    );
    const [revoked] = setsFromResponse(response(), 'en');
    expect(risc?.type).toBe(EVENT_TYPES.credentialChangeRequired);
    expect(revoked?.type).toBe(EVENT_TYPES.sessionRevoked);
    expect(risc?.txn).toBe(revoked?.txn);
    expect(
      setsFromResponse(response({ response_id: 'rs_2', action: 'all_sessions_revoked' }), 'en')[0]?.txn,
    ).toBe(revoked?.txn);
  });

  it('session-revoked only for a session end that was done, initiated by the user, with the reason in their language', () => {
    expect(setsFromResponse(response({ status: 'failed' }), 'en')).toEqual([]);
    expect(setsFromResponse(response({ status: 'not_found' }), 'en')).toEqual([]);
    expect(setsFromResponse(response({ action: 'credential_removed' }), 'en')).toEqual([]);
    const [pt] = setsFromResponse(response(), 'pt-PT');
    expect(pt?.payload).toMatchObject({ initiating_entity: 'user', event_timestamp: 1796551500 });
    expect(Object.keys(pt?.payload.reason_user as object)).toEqual(['pt-BR']);
    expect(reasonLanguage('fr-CA')).toBe('fr');
    expect(reasonLanguage('zh-TW')).toBe('en');
    expect(reasonLanguage(undefined)).toBe('en');
    expect(reasonLanguage('PT-br')).toBe('pt-BR');
  });

  it('reason_user speaks every language the alerts do', () => {
    const catalogs = readdirSync(join(DEFAULT_TEMPLATES_DIR, 'messages'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
    expect(Object.keys(REASON_USER).sort()).toEqual(catalogs.sort());
    for (const locale of catalogs) {
      const [set] = setsFromResponse(response(), locale);
      expect(set?.payload.reason_user).toEqual({ [locale]: REASON_USER[locale] });
    }
  });

  it('a replayed record gives the same ids; the same SET on two streams gets two jtis', () => {
    const a = setsFromResponse(response(), 'en')[0]!;
    const b = setsFromResponse(response(), 'en')[0]!;
    expect(a).toEqual(b);
    expect(jtiFor(a.id, 's1')).toBe(jtiFor(b.id, 's1'));
    expect(jtiFor(a.id, 's1')).not.toBe(jtiFor(a.id, 's2'));
  });
});

describe("a push receiver's answer (RFC 8935)", () => {
  it('202 is accepted; 5xx, 408 and 429 are retried (429 with its Retry-After); other 4xx are refused with its err', () => {
    expect(classifyPush(202, {}, '')).toEqual({ kind: 'accepted' });
    expect(classifyPush(503, {}, '')).toMatchObject({ kind: 'retry' });
    expect(classifyPush(429, { 'retry-after': '7' }, '')).toMatchObject({ kind: 'retry', retryAfterS: 7 });
    expect(classifyPush(400, {}, '{"err":"invalid_audience","description":"wrong aud"}')).toEqual({
      kind: 'refused',
      err: 'invalid_audience',
      description: 'wrong aud',
    });
    expect(classifyPush(404, {}, '<html>')).toEqual({ kind: 'refused', err: 'http_404' });
  });
});

describe('signing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssf-keys-'));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ecFile = join(dir, 'ec.pem');
  writeFileSync(ecFile, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const rsaFile = join(dir, 'rsa.jwk');
  writeFileSync(rsaFile, JSON.stringify(rsa.privateKey.export({ format: 'jwk' })));
  const ecPublic = join(dir, 'ec-public.pem');
  writeFileSync(ecPublic, ec.publicKey.export({ type: 'spki', format: 'pem' }));
  const receivers = `https://rp.example=${'r'.repeat(8)}-0123456789abcdef0123456789`;

  it('signs a SET with typ secevent+jwt, kid and one event; no sub, no exp; a previous key stays in the JWKS', async () => {
    const config = loadConfig({
      SSF_SIGNING_KEY_FILE: rsaFile,
      SSF_SIGNING_KEY_ID: 'k2',
      SSF_PREVIOUS_PUBLIC_KEY_FILE: ecPublic,
      SSF_PREVIOUS_KEY_ID: 'k1',
      SSF_RECEIVERS: receivers,
    });
    expect(config.sharedSignals?.algorithm).toBe('RS256');
    const signer = await createSigner(config.sharedSignals!, 'https://alerts.example');
    expect(signer.jwks.keys.map((k) => [k.kid, k.alg, k.d])).toEqual([
      ['k2', 'RS256', undefined],
      ['k1', 'ES256', undefined],
    ]);
    const body = verificationBody('stream-1', 'xyz', 'req-1');
    const token = await signer.sign(body, { audience: 'https://rp.example', jti: 'j1' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'k2', typ: 'secevent+jwt' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(signer.jwks), {
      issuer: 'https://alerts.example',
      audience: 'https://rp.example',
      typ: 'secevent+jwt',
    });
    expect(payload).not.toHaveProperty('sub');
    expect(payload).not.toHaveProperty('exp');
    expect(payload).toMatchObject({ jti: 'j1', sub_id: { format: 'opaque', id: 'stream-1' } });
    expect(payload.events).toEqual({ [EVENT_TYPES.verification]: { state: 'xyz' } });
  });

  it('an EC P-256 PEM key signs ES256 with its RFC 7638 thumbprint as kid', async () => {
    const config = loadConfig({ SSF_SIGNING_KEY_FILE: ecFile, SSF_RECEIVERS: receivers });
    const signer = await createSigner(config.sharedSignals!, 'https://alerts.example');
    expect(signer.jwks.keys).toHaveLength(1);
    expect(signer.jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(signer.jwks.keys[0]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses keys and receivers it cannot use, naming the variable', () => {
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a key');
    const p384 = join(dir, 'p384.pem');
    writeFileSync(
      p384,
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const error = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(error({ SSF_SIGNING_KEY_FILE: bad, SSF_RECEIVERS: receivers })).toMatch(
      /^SSF_SIGNING_KEY_FILE: .* holds no private key/m,
    );
    expect(error({ SSF_SIGNING_KEY_FILE: p384, SSF_RECEIVERS: receivers })).toMatch(
      /SSF_SIGNING_KEY_FILE: expected an EC P-256/,
    );
    expect(error({ SSF_SIGNING_KEY_FILE: ecFile })).toMatch(/SSF_RECEIVERS: the transmitter is on/);
    expect(error({ SSF_SIGNING_KEY_FILE: ecFile, SSF_RECEIVERS: 'https://rp.example=short' })).toMatch(
      /SSF_RECEIVERS: expected audience=token/,
    );
    expect(error({ SSF_RECEIVERS: receivers })).toMatch(/SSF_RECEIVERS: set SSF_SIGNING_KEY_FILE too/);
    expect(loadConfig({}).sharedSignals).toBeUndefined();
    expect(
      productionProblems({ SSF_RECEIVERS: 'https://rp.example=changeme-changeme-changeme-changeme' }),
    ).toContainEqual(expect.stringMatching(/^SSF_RECEIVERS: looks like a placeholder/));
  });
});

describe('streams and their queues in the store', () => {
  const push = { method: 'urn:ietf:rfc:8935', endpoint_url: 'https://rp.example/events' } as const;

  it('keeps at most the bound per stream, dropping the oldest; a jti is queued once', async () => {
    const queue = createStreamQueue(createMemoryStore(), 3);
    const sets = ['a', 'b', 'c', 'd', 'e'].map((jti) => ({ jti, set: `set-${jti}` }));
    expect(await queue.enqueue('s1', sets.slice(0, 2))).toEqual({ added: 2, dropped: 0, length: 2 });
    expect(await queue.enqueue('s1', sets)).toEqual({ added: 3, dropped: 2, length: 3 });
    expect((await queue.read('s1')).items.map((i) => i.jti)).toEqual(['c', 'd', 'e']);
    expect((await queue.read('s1')).dropped).toBe(2);
    expect(await queue.enqueue('s1', [sets[4]!])).toEqual({ added: 0, dropped: 0, length: 3 });
    await queue.defer('s1', 'c', 123);
    expect((await queue.read('s1')).items[0]).toMatchObject({ jti: 'c', attempts: 1, dueAt: 123 });
    expect(await queue.settle('s1', ['c'], [{ jti: 'd', err: 'invalid_key', at: 'now' }])).toBe(1);
    expect(await queue.read('s1')).toMatchObject({
      items: [{ jti: 'e' }],
      errors: [{ jti: 'd', err: 'invalid_key' }],
    });
  });

  it('a receiver reaches only its own streams; NONE covers added subjects, ALL all but removed ones', async () => {
    const store = createMemoryStore();
    const none = createStreamRepository(store, { defaultSubjects: 'NONE', audiences: ['rp-a', 'rp-b'] });
    const mine = await none.create('rp-a', { delivery: push, events_requested: [] });
    expect(await none.get('rp-b', mine!.stream_id)).toBeUndefined();
    expect(await none.update('rp-b', mine!.stream_id, (s) => ({ ...s, status: 'disabled' }))).toBeUndefined();
    expect(await none.remove('rp-b', mine!.stream_id)).toBe(false);
    expect((await none.get('rp-a', mine!.stream_id))?.status).toBe('enabled');
    const subject = { format: 'opaque', id: 'acct-1' } as const;
    expect(await none.covers([mine!], subject)).toEqual([false]);
    await none.setSubject(mine!, subject, true);
    expect(await none.covers([mine!], { id: 'acct-1', format: 'opaque' })).toEqual([true]);
    const all = createStreamRepository(createMemoryStore(), { defaultSubjects: 'ALL', audiences: ['rp-a'] });
    const every = (await all.create('rp-a', { delivery: push, events_requested: [] }))!;
    expect(await all.covers([every], subject)).toEqual([true]);
    await all.setSubject(every, subject, false);
    expect(await all.covers([every], subject)).toEqual([false]);
    // A deleted stream takes its subjects with it.
    await none.setSubject(mine!, { format: 'opaque', id: 'acct-2' }, true);
    expect(await none.remove('rp-a', mine!.stream_id)).toBe(true);
    expect(await store.deletePrefix(signalKeys.subjects(mine!.stream_id))).toBe(0);
  });

  it('a receiver taken out of SSF_RECEIVERS keeps its streams but gets nothing until it is back', async () => {
    const store = createMemoryStore();
    const before = createStreamRepository(store, { defaultSubjects: 'ALL', audiences: ['rp-a', 'rp-b'] });
    const a = (await before.create('rp-a', { delivery: push, events_requested: [] }))!;
    const b = (await before.create('rp-b', { delivery: push, events_requested: [] }))!;
    // The next start, with rp-b removed from the configuration:
    const after = createStreamRepository(store, { defaultSubjects: 'ALL', audiences: ['rp-a'] });
    expect((await after.all()).map((s) => s.stream_id)).toEqual([a.stream_id]);
    expect(await after.get('rp-b', b.stream_id)).toBeUndefined();
    expect(await after.ofReceiver('rp-b')).toEqual([]);
    const again = createStreamRepository(store, { defaultSubjects: 'ALL', audiences: ['rp-b', 'rp-a'] });
    expect((await again.all()).map((s) => s.stream_id)).toEqual([a.stream_id, b.stream_id]);
  });

  it('the memory store never evicts streams or queues, however many other keys arrive', async () => {
    const store = createMemoryStore({ maxKeys: 100 });
    const repo = createStreamRepository(store, { defaultSubjects: 'NONE', audiences: ['rp-a', 'rp-b'] });
    const stream = (await repo.create('rp-a', { delivery: push, events_requested: [] }))!;
    await createStreamQueue(store, 10).enqueue(stream.stream_id, [{ jti: 'j', set: 's' }]);
    await store.write(
      Array.from({ length: 2_000 }, (_, i) => ({ op: 'set' as const, key: `other:${i}`, value: 'x' })),
    );
    expect((await repo.all()).map((s) => s.stream_id)).toEqual([stream.stream_id]);
    expect((await createStreamQueue(store, 10).read(stream.stream_id)).items).toHaveLength(1);
  });
});
