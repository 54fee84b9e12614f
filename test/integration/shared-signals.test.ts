/**
 * The Shared Signals transmitter through the real pipeline, broker and Redis, judged by receivers
 * written here from the specifications (not from our code): SSF 1.0 discovery and stream management,
 * an RFC 8935 push receiver (an https server with its own CA) and an RFC 8936 polling receiver, each
 * SET verified with jose against the advertised jwks_uri. The report path runs end to end: a confirmed
 * "This wasn't me" link → containment at an Auth0-shaped IdP → CAEP session-revoked at the receiver.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { signLink } from '../../src/notify/links.js';
import { signalKeys } from '../../src/signals/streams.js';
import { auth0SignIn, enrolQuietly, until } from '../support/delivery-kit.js';
import { redisUrl, uniqueName } from '../support/env.js';
import { signIn } from '../support/events.js';
import { startAuth0Mock } from '../support/idp-admin-mocks.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';
import { rawRequest } from '../support/raw-http.js';
import { createTestCa, type TestCa } from '../support/tls-certs.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const AUD_A = 'https://chatgpt.rp.example';
const AUD_B = 'https://codex.rp.example';
const TOKEN_A = 'receiver-a-token-0f9e8d7c6b5a49382716';
const TOKEN_B = 'receiver-b-token-a1b2c3d4e5f60718293a';
const PUSH_AUTH = 'Bearer push-secret-for-receiver-a';
const CLIENT_SECRET = 'auth0-client-secret-value';
const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
/** The Redis database these tests keep their streams in, apart from the other tests' keys. */
const REDIS_DB = 11;

/** A push receiver per RFC 8935 §2: POST application/secevent+jwt, 202 when accepted. */
interface PushReceiver {
  url: string;
  /** Every POST as it arrived: its status answered and the SET. */
  posts: { status: number; set: string; jti: string; contentType: string; authorization: string }[];
  /** SETs accepted (202), in order. */
  accepted(): string[];
  failNext(statuses: number[]): void;
  stop(): Promise<void>;
}

async function startPushReceiver(ca: TestCa, opts: { holdMs?: number } = {}): Promise<PushReceiver> {
  const { certFile, keyFile } = ca.issue('receiver', ['127.0.0.1']);
  const posts: PushReceiver['posts'] = [];
  const script: number[] = [];
  const server = https.createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        // A slow receiver: holds every request before answering.
        if (opts.holdMs !== undefined) await sleep(opts.holdMs);
        const set = Buffer.concat(chunks).toString('utf8');
        const contentType = req.headers['content-type'] ?? '';
        const authorization = req.headers.authorization ?? '';
        let status = script.shift() ?? 202;
        let jti = '';
        try {
          jti = decodeJwt(set).jti ?? '';
        } catch {
          status = 400;
        }
        if (
          req.method !== 'POST' ||
          contentType !== 'application/secevent+jwt' ||
          authorization !== PUSH_AUTH
        )
          status = 400;
        posts.push({ status, set, jti, contentType, authorization });
        if (status === 400) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ err: 'invalid_request', description: 'not a SET for this receiver' }));
        } else res.writeHead(status).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}/events`,
    posts,
    accepted: () => posts.filter((p) => p.status === 202).map((p) => p.set),
    failNext: (statuses) => script.push(...statuses),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port free now, for a listener whose URL (the issuer) must be known before it starts. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Removes the transmitter's keys from its test database (only these tests use it). */
async function clearSignals(): Promise<void> {
  const redis = new Redis(`${redisUrl()}/${REDIS_DB}`);
  try {
    for (const pattern of ['la:ssf:{ssf}:*', 'la:ssfm:{ssf}:*']) {
      const found = await redis.keys(pattern);
      if (found.length > 0) await redis.del(...found);
    }
  } finally {
    redis.disconnect();
  }
}

const keyDir = mkdtempSync(join(tmpdir(), 'ssf-test-keys-'));
const oldKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const newKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const oldKeyFile = join(keyDir, 'old.pem');
writeFileSync(oldKeyFile, oldKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const oldPublicFile = join(keyDir, 'old-public.pem');
writeFileSync(oldPublicFile, oldKey.publicKey.export({ type: 'spki', format: 'pem' }));
const newKeyFile = join(keyDir, 'new.jwk');
writeFileSync(newKeyFile, JSON.stringify(newKey.privateKey.export({ format: 'jwk' })));

describe('the Shared Signals transmitter', () => {
  let ca: TestCa;
  let receiver: PushReceiver;
  let auth0: Awaited<ReturnType<typeof startAuth0Mock>>;
  let t: TestPipeline;
  let alerts: Watch;
  const agents: https.Agent[] = [];
  const agent = () => {
    const a = new https.Agent({ ca: readFileSync(ca.caFile) });
    agents.push(a);
    return a;
  };
  let base: string;
  let port: number;
  const sessions = new Set<string>();
  const users = new Set<string>();
  let pushStream: string;
  let pollStream: string;
  const decodedByType = new Map<string, unknown>();

  const env = (httpPort: number, extra: Record<string, string>) => ({
    HTTP_PORT: String(httpPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${httpPort}`,
    REDIS_URL: `${redisUrl()}/${REDIS_DB}`,
    SSF_RECEIVERS: `${AUD_A}=${TOKEN_A},${AUD_B}=${TOKEN_B}`,
    SSF_PUSH_ALLOWED_HOSTS: '127.0.0.1',
    DELIVERY_BACKOFF: '50ms,100ms,200ms',
    RESPOND_AUTH0_DOMAIN: auth0.url,
    RESPOND_AUTH0_CLIENT_ID: 'cid',
    RESPOND_AUTH0_CLIENT_SECRET: CLIENT_SECRET,
    ...extra,
  });

  beforeAll(async () => {
    await clearSignals();
    ca = createTestCa('ssf-receiver-ca');
    receiver = await startPushReceiver(ca);
    auth0 = await startAuth0Mock({ clientId: 'cid', clientSecret: CLIENT_SECRET, sessions, users });
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestPipeline('redis', {
      env: env(port, { SSF_SIGNING_KEY_FILE: oldKeyFile, SSF_SIGNING_KEY_ID: 'key-2026-a' }),
      signalsAgent: agent(),
    });
    alerts = await t.watch('loginAlerts');
  }, 90_000);
  afterAll(async () => {
    await t?.stop();
    await receiver?.stop();
    await auth0?.stop();
    for (const a of agents) a.destroy();
    ca?.remove();
    await clearSignals();
  });

  const api = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

  /** A SET verified as a receiver must (SSF 1.0 §4, RFC 8417): signature by jwks_uri, typ, iss, aud. */
  async function verified(set: string, aud: string, issuer = base): Promise<JWTPayload> {
    const meta = (await (await fetch(`${issuer}/.well-known/ssf-configuration`)).json()) as {
      jwks_uri: string;
    };
    const { payload, protectedHeader } = await jwtVerify(set, createRemoteJWKSet(new URL(meta.jwks_uri)), {
      issuer,
      audience: aud,
      typ: 'secevent+jwt',
    });
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).not.toHaveProperty('sub');
    expect(payload).not.toHaveProperty('exp');
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.iat).toBe('number');
    expect(typeof payload.txn).toBe('string');
    expect(Object.keys(payload.events as object)).toHaveLength(1);
    const type = Object.keys(payload.events as object)[0]!;
    if (!decodedByType.has(type))
      decodedByType.set(type, { header: decodeProtectedHeader(set), claims: payload });
    return payload;
  }
  const eventOf = (p: JWTPayload) => Object.entries(p.events as Record<string, Record<string, unknown>>)[0]!;

  /** What the polling receiver gets now, acknowledging `ack`. */
  async function poll(ack: string[] = []) {
    const res = await api(
      `/ssf/poll/${pollStream}`,
      TOKEN_B,
      json({ ack, returnImmediately: true, maxEvents: 50 }),
    );
    expect(res.status).toBe(200);
    return (await res.json()) as { sets: Record<string, string>; moreAvailable: boolean };
  }

  it('publishes its configuration and keys (SSF 1.0 §7)', async () => {
    const meta = (await (await fetch(`${base}/.well-known/ssf-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({
      spec_version: '1_0',
      issuer: base,
      jwks_uri: `${base}/ssf/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      configuration_endpoint: `${base}/ssf/streams`,
      status_endpoint: `${base}/ssf/status`,
      add_subject_endpoint: `${base}/ssf/subjects/add`,
      remove_subject_endpoint: `${base}/ssf/subjects/remove`,
      verification_endpoint: `${base}/ssf/verify`,
      default_subjects: 'NONE',
    });
    const jwks = (await (await fetch(`${base}/ssf/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: 'key-2026-a', kty: 'EC', alg: 'ES256' })]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('creates a push stream and a poll stream (201), each visible only to its receiver', async () => {
    const push = await api(
      '/ssf/streams',
      TOKEN_A,
      json({
        delivery: {
          method: 'urn:ietf:rfc:8935',
          endpoint_url: receiver.url,
          authorization_header: PUSH_AUTH,
        },
        events_requested: [
          `${CAEP}session-revoked`,
          `${CAEP}credential-change`,
          `${RISC}account-credential-change-required`,
        ],
        description: 'ChatGPT sessions',
      }),
    );
    expect(push.status).toBe(201);
    const created = (await push.json()) as Record<string, unknown> & { stream_id: string };
    expect(created).toMatchObject({ iss: base, aud: AUD_A, delivery: { method: 'urn:ietf:rfc:8935' } });
    expect(created.events_delivered).toHaveLength(3);
    expect(JSON.stringify(created)).not.toContain('push-secret');
    pushStream = created.stream_id;
    const poll = await api('/ssf/streams', TOKEN_B, json({ delivery: { method: 'urn:ietf:rfc:8936' } }));
    expect(poll.status).toBe(201);
    const pollView = (await poll.json()) as { stream_id: string; delivery: { endpoint_url: string } };
    pollStream = pollView.stream_id;
    expect(pollView.delivery.endpoint_url).toBe(`${base}/ssf/poll/${pollStream}`);
    expect(((await (await api('/ssf/streams', TOKEN_A)).json()) as unknown[]).length).toBe(1);
    expect((await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_B)).status).toBe(404);
    expect((await api(`/ssf/status?stream_id=${pushStream}`, TOKEN_A)).status).toBe(200);
  });

  it('refuses malformed and foreign management requests with a 4xx and changes nothing', async () => {
    const before = await (await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_A)).text();
    const statusBefore = await (await api(`/ssf/status?stream_id=${pushStream}`, TOKEN_A)).text();
    const cases: [string, Promise<Response>, number][] = [
      ['no token', api('/ssf/streams', undefined), 401],
      ['wrong token', api('/ssf/streams', `${TOKEN_A}x`), 401],
      [
        'bad JSON',
        api('/ssf/streams', TOKEN_A, { method: 'PATCH', body: `{"stream_id":"${pushStream}",` }),
        400,
      ],
      [
        'unknown delivery method',
        api('/ssf/streams', TOKEN_A, {
          method: 'PUT',
          body: JSON.stringify({ stream_id: pushStream, delivery: { method: 'urn:example:smtp' } }),
        }),
        400,
      ],
      [
        'push to http',
        api(
          '/ssf/streams',
          TOKEN_A,
          json({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'http://rp.example/e' } }),
        ),
        400,
      ],
      [
        'another receiver patches',
        api('/ssf/streams', TOKEN_B, {
          method: 'PATCH',
          body: JSON.stringify({ stream_id: pushStream, description: 'mine' }),
        }),
        404,
      ],
      [
        'another receiver pauses',
        api('/ssf/status', TOKEN_B, json({ stream_id: pushStream, status: 'disabled' })),
        404,
      ],
      [
        'another receiver adds a subject',
        api(
          '/ssf/subjects/add',
          TOKEN_B,
          json({ stream_id: pushStream, subject: { format: 'opaque', id: 'x' } }),
        ),
        404,
      ],
      [
        'another receiver deletes',
        api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_B, { method: 'DELETE' }),
        404,
      ],
      ['another receiver polls', api(`/ssf/poll/${pollStream}`, TOKEN_A, json({})), 404],
      ['unknown status', api('/ssf/status', TOKEN_A, json({ stream_id: pushStream, status: 'on' })), 400],
      [
        'unknown subject format',
        api('/ssf/subjects/add', TOKEN_A, json({ stream_id: pushStream, subject: { format: 'nope' } })),
        400,
      ],
      ['1 MB body', api('/ssf/streams', TOKEN_A, json({ description: 'x'.repeat(1024 * 1024) })), 413],
      [
        'text body',
        api('/ssf/streams', TOKEN_A, {
          method: 'POST',
          body: 'delivery',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
      ],
    ];
    for (const [name, request, status] of cases) {
      const res = await request;
      expect([name, res.status]).toEqual([name, status]);
      expect(await res.text()).not.toContain(TOKEN_A);
    }
    // At the byte level: a chunked body that lies about its size.
    const raw = await rawRequest(
      port,
      `POST /ssf/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN_A}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
    );
    expect(raw.statuses[0]).toBe(400);
    expect(await (await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_A)).text()).toBe(before);
    expect(await (await api(`/ssf/status?stream_id=${pushStream}`, TOKEN_A)).text()).toBe(statusBefore);
    expect(((await (await api('/ssf/streams', TOKEN_A)).json()) as unknown[]).length).toBe(1);
  });

  it('verifies a stream: the receiver gets the verification event with its state (push and poll)', async () => {
    expect(
      (await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'state-a-123' }))).status,
    ).toBe(204);
    const set = await until('the verification SET at the push receiver', () => receiver.accepted()[0]);
    const payload = await verified(set, AUD_A);
    expect(payload.sub_id).toEqual({ format: 'opaque', id: pushStream });
    expect(payload.events).toEqual({ [VERIFICATION]: { state: 'state-a-123' } });
    expect(receiver.posts[0]).toMatchObject({
      contentType: 'application/secevent+jwt',
      authorization: PUSH_AUTH,
    });

    // A long poll (no returnImmediately) started first is answered once the SET is there.
    const waiting = api(`/ssf/poll/${pollStream}`, TOKEN_B, json({ maxEvents: 10 }));
    expect(
      (await api('/ssf/verify', TOKEN_B, json({ stream_id: pollStream, state: 'state-b' }))).status,
    ).toBe(204);
    const first = (await (await waiting).json()) as { sets: Record<string, string> };
    const [[jti, polled]] = Object.entries(first.sets) as [[string, string]];
    expect((await verified(polled, AUD_B)).events).toEqual({ [VERIFICATION]: { state: 'state-b' } });
    // Not acknowledged: delivered again; acknowledged: gone.
    expect(Object.keys((await poll()).sets)).toEqual([jti]);
    expect((await poll([jti])).sets).toEqual({});
  });

  it('a report gives session-revoked (in the account’s language) and RISC credential-change-required with one txn', async () => {
    const { account } = await enrolQuietly(
      t,
      { email: `${uniqueName('r')}@example.com` },
      { locale: 'pt-BR', timezone: 'America/Sao_Paulo' },
    );
    for (const [stream, token] of [
      [pushStream, TOKEN_A],
      [pollStream, TOKEN_B],
    ] as const) {
      const res = await api(
        '/ssf/subjects/add',
        token,
        json({ stream_id: stream, subject: { format: 'opaque', id: account } }),
      );
      expect(res.status).toBe(200);
    }
    const session = uniqueName('sid');
    const alert = await auth0SignIn(t, alerts, { users, sessions }, account, session);
    const link = `${base}/r/${signLink({ alertId: alert.alert_id, accountId: account, expiresAt: Math.floor(Date.now() / 1000) + 600 }, t.config.links.secret)}`;
    const before = receiver.accepted().length;
    const clicked = performance.now();
    const confirm = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=session',
    });
    expect(confirm.status).toBe(200);
    const typeOf = (set: string) => Object.keys(decodeJwt(set).events as object)[0];
    const revoked = await until(
      'session-revoked at the push receiver',
      () =>
        receiver
          .accepted()
          .slice(before)
          .find((s) => typeOf(s) === `${CAEP}session-revoked`),
      30_000,
    );
    const clickToSetMs = performance.now() - clicked;
    console.log(
      `report click → session-revoked SET accepted by the push receiver: ${clickToSetMs.toFixed(0)} ms`,
    );
    expect(sessions.has(session)).toBe(false);
    const risc = await until('the RISC SET at the push receiver', () =>
      receiver
        .accepted()
        .slice(before)
        .find((s) => typeOf(s) === `${RISC}account-credential-change-required`),
    );
    const sr = await verified(revoked, AUD_A);
    const rc = await verified(risc, AUD_A);
    for (const p of [sr, rc]) expect(p.sub_id).toEqual({ format: 'opaque', id: account });
    expect(sr.txn).toBe(rc.txn);
    const [, payload] = eventOf(sr);
    expect(payload).toMatchObject({
      initiating_entity: 'user',
      reason_user: { 'pt-BR': expect.any(String) },
    });
    expect(typeof payload.event_timestamp).toBe('number');
    expect(eventOf(rc)[1]).toEqual({});

    // The polling receiver gets the same two events, under its own audience and jtis, same txn.
    const polled = await until('both SETs at the polling receiver', async () => {
      const sets = Object.values((await poll()).sets);
      return sets.length >= 2 ? sets : undefined;
    });
    const payloads = await Promise.all(polled.map((s) => verified(s, AUD_B)));
    expect(payloads.map((p) => eventOf(p)[0]).sort()).toEqual([
      `${CAEP}session-revoked`,
      `${RISC}account-credential-change-required`,
    ]);
    expect(new Set(payloads.map((p) => p.txn))).toEqual(new Set([sr.txn]));
    expect(payloads.map((p) => p.jti)).not.toContain(sr.jti);
    await poll(payloads.map((p) => p.jti!));
  }, 60_000);

  it('a security key added is credential-change (fido2-roaming, its AAGUID and name) for subscribed accounts only', async () => {
    const { account } = await enrolQuietly(t, { email: `${uniqueName('c')}@example.com` });
    const { account: other } = await enrolQuietly(t, { email: `${uniqueName('o')}@example.com` });
    await api(
      '/ssf/subjects/add',
      TOKEN_A,
      json({ stream_id: pushStream, subject: { format: 'opaque', id: account } }),
    );
    const added = (who: string) =>
      signIn(who, {
        type: 'credential.added',
        session_id: undefined,
        auth: { method: 'security_key', credential_id: `cred-${who}`, aaguid: YUBIKEY_5 },
      });
    await t.publish('authEvents', [
      { key: other, value: added(other) },
      { key: account, value: added(account) },
    ]);
    const set = await until('credential-change at the push receiver', () =>
      receiver.accepted().find((s) => (decodeJwt(s).sub_id as { id: string }).id === account),
    );
    const payload = await verified(set, AUD_A);
    expect(eventOf(payload)).toEqual([
      `${CAEP}credential-change`,
      expect.objectContaining({
        credential_type: 'fido2-roaming',
        change_type: 'create',
        fido2_aaguid: YUBIKEY_5,
        friendly_name: 'YubiKey 5 Series',
      }),
    ]);
    // Both accounts' alerts were decided by now; only the subscribed one reached the receiver.
    await until('the other account’s alert', () =>
      alerts.values.some(
        (v) =>
          (v.value as LoginAlert).account_id === other &&
          v.value &&
          (v.value as LoginAlert).kind === 'account_change',
      ),
    );
    expect(receiver.accepted().some((s) => (decodeJwt(s).sub_id as { id: string }).id === other)).toBe(false);

    // A replay of the alert record (a crash before the commit) gives the same jti, queued once: the
    // record after it on the same partition arrives, the replay does not.
    const original = alerts.values
      .map((v) => v.value as LoginAlert)
      .find((a) => a.account_id === account && a.kind === 'account_change')!;
    const later = { ...original, alert_id: `${original.alert_id}-r`, event_type: 'credential.removed' };
    await t.publish('loginAlerts', [
      { key: account, value: original },
      { key: account, value: later },
    ]);
    const changesOf = (type: string) =>
      receiver.accepted().filter((s) => {
        const claims = decodeJwt(s);
        const event = Object.values(claims.events as object)[0] as { change_type?: string };
        return (claims.sub_id as { id: string }).id === account && event.change_type === type;
      });
    await until('the later record’s SET', () => changesOf('delete').length > 0);
    expect(changesOf('create')).toHaveLength(1);
  }, 60_000);

  it('a receiver answering 503 three times then 202 gets the SET accepted exactly once', async () => {
    const before = receiver.posts.length;
    receiver.failNext([503, 503, 503]);
    expect(
      (await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'retry-me' }))).status,
    ).toBe(204);
    await until(
      'the SET accepted after three 503s',
      () => receiver.posts.slice(before).some((p) => p.status === 202),
      20_000,
    );
    const mine = receiver.posts.slice(before);
    expect(mine.map((p) => p.status)).toEqual([503, 503, 503, 202]);
    expect(new Set(mine.map((p) => p.jti)).size).toBe(1);
    // Settled once accepted: the queue empties and nothing more is sent for it.
    await until('the accepted SET to leave the queue', async () => {
      const [text] = await t.pipeline.services.store.read([signalKeys.queue(pushStream)]);
      return (JSON.parse(text!) as { items: unknown[] }).items.length === 0;
    });
    expect(receiver.posts.slice(before).map((p) => p.status)).toEqual([503, 503, 503, 202]);
  }, 30_000);

  it('a paused stream gets nothing until it is enabled again, then everything held', async () => {
    const pause = await api(
      '/ssf/status',
      TOKEN_A,
      json({ stream_id: pushStream, status: 'paused', reason: 'maintenance' }),
    );
    expect(await pause.json()).toEqual({ stream_id: pushStream, status: 'paused', reason: 'maintenance' });
    const before = receiver.posts.length;
    expect((await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'held' }))).status).toBe(
      204,
    );
    // The wake-up at queueing and one push-loop round (1 s) pass with nothing sent.
    await sleep(1_300);
    expect(receiver.posts.length).toBe(before);
    const enable = await api('/ssf/status', TOKEN_A, json({ stream_id: pushStream, status: 'enabled' }));
    expect(await enable.json()).toEqual({ stream_id: pushStream, status: 'enabled' });
    const set = await until('the held SET after enabling', () =>
      receiver.posts.slice(before).find((p) => p.status === 202),
    );
    expect(eventOf(await verified(set.set, AUD_A))[1]).toEqual({ state: 'held' });
    // Disabled: what it held is dropped, and nothing is queued until it is enabled again.
    await api('/ssf/status', TOKEN_A, json({ stream_id: pushStream, status: 'paused' }));
    await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'dropped' }));
    await api('/ssf/status', TOKEN_A, json({ stream_id: pushStream, status: 'disabled' }));
    const [held] = await t.pipeline.services.store.read([signalKeys.queue(pushStream)]);
    expect(held).toBeUndefined();
    expect((await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream }))).status).toBe(409);
    await api('/ssf/status', TOKEN_A, json({ stream_id: pushStream, status: 'enabled' }));
  }, 30_000);

  it('a slow receiver delays only its own stream; an endpoint on a private address is refused and recorded', async () => {
    const slow = await startPushReceiver(ca, { holdMs: 3_000 });
    try {
      const created = await api(
        '/ssf/streams',
        TOKEN_B,
        json({
          delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: slow.url, authorization_header: PUSH_AUTH },
        }),
      );
      const slowStream = ((await created.json()) as { stream_id: string }).stream_id;
      expect((await api('/ssf/verify', TOKEN_B, json({ stream_id: slowStream, state: 'slow' }))).status).toBe(
        204,
      );
      const before = receiver.accepted().length;
      const asked = performance.now();
      expect((await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'fast' }))).status).toBe(
        204,
      );
      await until('the fast stream’s SET', () => receiver.accepted()[before]);
      const fastMs = performance.now() - asked;
      // The slow receiver has not answered yet (it holds each request 3 s), and the fast one got its SET.
      expect(slow.posts).toHaveLength(0);
      console.log(`SET at a fast receiver while another stream's receiver hangs: ${fastMs.toFixed(0)} ms`);
      await until('the slow receiver’s SET', () => slow.accepted()[0], 10_000);
      expect((await api(`/ssf/streams?stream_id=${slowStream}`, TOKEN_B, { method: 'DELETE' })).status).toBe(
        204,
      );

      const internal = await api(
        '/ssf/streams',
        TOKEN_B,
        json({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'https://10.1.2.3/events' } }),
      );
      const internalStream = ((await internal.json()) as { stream_id: string }).stream_id;
      expect((await api('/ssf/verify', TOKEN_B, json({ stream_id: internalStream }))).status).toBe(204);
      const refused = await until('the refusal recorded on the stream', async () => {
        const [text] = await t.pipeline.services.store.read([signalKeys.queue(internalStream)]);
        const q =
          text === undefined
            ? undefined
            : (JSON.parse(text) as { items: unknown[]; errors: { err: string }[] });
        return q !== undefined && q.errors.length > 0 ? q : undefined;
      });
      expect(refused.items).toEqual([]);
      expect(refused.errors[0]?.err).toBe('endpoint_not_allowed');
      expect(
        (await api(`/ssf/streams?stream_id=${internalStream}`, TOKEN_B, { method: 'DELETE' })).status,
      ).toBe(204);
    } finally {
      await slow.stop();
    }
  }, 30_000);

  it('after a key rotation (and a restart), SETs signed with the old key still verify against jwks_uri; streams persist', async () => {
    const oldSet = receiver.accepted()[0]!;
    const oldIssuer = base;
    await t.stop();
    const port2 = await freePort();
    base = `http://127.0.0.1:${port2}`;
    t = await startTestPipeline('redis', {
      only: ['shared-signals'],
      env: env(port2, {
        SSF_SIGNING_KEY_FILE: newKeyFile,
        SSF_SIGNING_KEY_ID: 'key-2026-b',
        SSF_PREVIOUS_PUBLIC_KEY_FILE: oldPublicFile,
        SSF_PREVIOUS_KEY_ID: 'key-2026-a',
      }),
      signalsAgent: agent(),
    });
    const jwks = (await (await fetch(`${base}/ssf/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['key-2026-b', 'key-2026-a']);
    // The old SET, by the new transmitter's published keys.
    const { payload } = await jwtVerify(oldSet, createRemoteJWKSet(new URL(`${base}/ssf/jwks`)), {
      issuer: oldIssuer,
      audience: AUD_A,
      typ: 'secevent+jwt',
    });
    expect(payload.jti).toBeDefined();
    // The stream outlived the restart; new SETs are signed with the new key.
    const stream = (await (await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_A)).json()) as {
      aud: string;
    };
    expect(stream.aud).toBe(AUD_A);
    const before = receiver.accepted().length;
    expect(
      (await api('/ssf/verify', TOKEN_A, json({ stream_id: pushStream, state: 'after-rotation' }))).status,
    ).toBe(204);
    const set = await until('a SET signed with the new key', () => receiver.accepted()[before]);
    expect(decodeProtectedHeader(set)).toEqual({ alg: 'RS256', kid: 'key-2026-b', typ: 'secevent+jwt' });
    await verified(set, AUD_A);
    // Deleting the stream: gone for its receiver.
    expect((await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_A, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await api(`/ssf/streams?stream_id=${pushStream}`, TOKEN_A)).status).toBe(404);
  }, 90_000);

  it('limits requests per client address like the other public routes (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 320 && !statuses.includes(429); i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/ssf/jwks`)));
      for (const res of batch) {
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        await res.arrayBuffer();
      }
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(300);
    expect(statuses).toContain(429);
  });

  afterAll(() => {
    // One decoded SET of each type, as a receiver sees it.
    for (const [type, decoded] of decodedByType) console.log(`${type}\n${JSON.stringify(decoded, null, 2)}`);
  });
});
