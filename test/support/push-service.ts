import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import ece from 'http_ece';

/**
 * A scripted answer: a status, optionally with headers (e.g. Retry-After) and a body that never
 * ends (written until the client goes away).
 */
export type PushReply =
  | number
  | { status: number; headers?: Record<string, string>; endlessBody?: boolean }
  | 'hang';

/** A message the service accepted: its headers, the VAPID claims and the decrypted JSON. */
export interface ReceivedPush {
  subscriptionId: string;
  ttl: string | undefined;
  urgency: string | undefined;
  topic: string | undefined;
  contentEncoding: string | undefined;
  vapid: { k: string; claims: { aud: string; exp: number; sub: string } };
  payload: unknown;
}

export interface PushService {
  readonly origin: string;
  /** trusts the service's self-signed certificate */
  readonly agent: https.Agent;
  readonly received: ReceivedPush[];
  /** requests refused for VAPID or encryption reasons, with the status and reason */
  readonly refused: { status: number; reason: string }[];
  /** a browser-like subscription on this service, bound to `applicationServerKey` when given */
  newSubscription(applicationServerKey?: string): {
    endpoint: string;
    keys: { p256dh: string; auth: string };
  };
  /** answer the next requests to this endpoint with these statuses (after verifying them) */
  script(endpoint: string, ...replies: PushReply[]): void;
  close(): Promise<void>;
}

interface Sub {
  ecdh: crypto.ECDH;
  auth: Buffer;
  applicationServerKey: string | undefined;
  replies: PushReply[];
}

const b64url = (b: Buffer) => b.toString('base64url');

/** A self-signed P-256 certificate for 127.0.0.1, made with the openssl CLI. */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'push-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } catch (err) {
    throw new Error(
      `push-service needs the openssl CLI to make a test certificate: ${(err as Error).message}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a body until the client closes the connection. */
function endless(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain' });
  const chunk = Buffer.alloc(16 * 1024, 'x');
  const more = () => {
    while (!res.destroyed && res.write(chunk));
  };
  res.on('drain', more);
  more();
}

/** RFC 8292 checks: ES256 signature by `k`, aud = our origin, exp within 24 h, sub mailto:/https:. */
function verifyVapid(
  authorization: string | undefined,
  origin: string,
): { ok: true; k: string; claims: ReceivedPush['vapid']['claims'] } | { ok: false; reason: string } {
  const m = /^vapid\s+(.+)$/i.exec(authorization ?? '');
  if (!m?.[1]) return { ok: false, reason: 'no vapid Authorization header' };
  const params = Object.fromEntries(
    m[1].split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }),
  );
  const t: string | undefined = params.t;
  const k: string | undefined = params.k;
  if (!t || !k) return { ok: false, reason: 'vapid header lacks t or k' };
  const [h, p, s] = t.split('.');
  if (!h || !p || !s) return { ok: false, reason: 'malformed JWT' };
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
  if (header.alg !== 'ES256') return { ok: false, reason: `alg ${header.alg}` };
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4)
    return { ok: false, reason: 'k is not an uncompressed P-256 point' };
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: 'jwk',
  });
  const signed = crypto.verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!signed) return { ok: false, reason: 'bad signature' };
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as ReceivedPush['vapid']['claims'];
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) return { ok: false, reason: `aud ${claims.aud} is not ${origin}` };
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600))
    return { ok: false, reason: 'exp not within 24 h' };
  if (!/^(mailto:|https:)/.test(claims.sub ?? ''))
    return { ok: false, reason: 'sub is not mailto: or https:' };
  return { ok: true, k, claims };
}

/**
 * A local HTTPS push service (RFC 8030) that does what a real one must: verifies the VAPID
 * JWT and the key the subscription was made with, decrypts the aes128gcm payload with the
 * subscription's private key, and answers scripted statuses when asked.
 */
export async function startPushService(): Promise<PushService> {
  const { key, cert } = selfSignedCert();
  const subs = new Map<string, Sub>();
  const received: ReceivedPush[] = [];
  const refused: { status: number; reason: string }[] = [];
  const sockets = new Set<Duplex>();
  let origin = '';

  const server = https.createServer({ key, cert }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const answer = (status: number, headers: Record<string, string> = {}) => {
      res.writeHead(status, headers);
      res.end();
    };
    const refuse = (status: number, reason: string) => {
      refused.push({ status, reason });
      answer(status);
    };
    const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const sub = id === undefined ? undefined : subs.get(id);
    if (req.method !== 'POST' || !id || !sub) return answer(404);

    const vapid = verifyVapid(req.headers.authorization, origin);
    if (!vapid.ok) return refuse(401, vapid.reason);
    if (sub.applicationServerKey !== undefined && vapid.k !== sub.applicationServerKey) {
      return refuse(403, 'VAPID key is not the subscription applicationServerKey');
    }
    if (req.headers.ttl === undefined) return refuse(400, 'missing TTL');
    if (req.headers['content-encoding'] !== 'aes128gcm') return refuse(415, 'not aes128gcm');
    if (body.length > 4096) return refuse(413, 'body over 4096 bytes');
    let payload: unknown;
    try {
      const plain = ece.decrypt(body, {
        version: 'aes128gcm',
        privateKey: sub.ecdh,
        authSecret: b64url(sub.auth),
      });
      payload = JSON.parse(plain.toString('utf8'));
    } catch (err) {
      return refuse(400, `cannot decrypt: ${(err as Error).message}`);
    }
    const reply = sub.replies.shift();
    if (reply === 'hang') return; // never answer: the sender's timeout must fire
    if (reply !== undefined) {
      const r = typeof reply === 'number' ? { status: reply } : reply;
      if (r.endlessBody) return endless(res, r.status, r.headers);
      if (r.status !== 201) return answer(r.status, r.headers);
    }
    received.push({
      subscriptionId: id,
      ttl: req.headers.ttl as string | undefined,
      urgency: req.headers.urgency as string | undefined,
      topic: req.headers.topic as string | undefined,
      contentEncoding: req.headers['content-encoding'],
      vapid: { k: vapid.k, claims: vapid.claims },
      payload,
    });
    answer(201, { location: `${origin}/m/${received.length}` });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const agent = new https.Agent({ ca: cert, keepAlive: true });

  return {
    origin,
    agent,
    received,
    refused,
    newSubscription(applicationServerKey) {
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = crypto.randomBytes(16);
      const id = crypto.randomUUID();
      subs.set(id, { ecdh, auth, applicationServerKey, replies: [] });
      return {
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) },
      };
    },
    script(endpoint, ...replies) {
      const sub = subs.get(endpoint.split('/').pop() ?? '');
      if (!sub) throw new Error(`no subscription for ${endpoint}`);
      sub.replies.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
