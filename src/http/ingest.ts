/**
 * The IdP webhooks on the public listener (CONTRACT v1.1 "Ingest"): `POST /ingest/auth0` (an Auth0 log
 * stream batch, `Authorization: Bearer <token>`) and `GET|POST /ingest/okta` (an Okta event hook, the
 * `Authorization` header equal to the token), each registered only when its token is set.
 *
 * Invariants: the token is checked before the body is read (401, the same answer whatever was wrong);
 * a body that is not the IdP's format is a 400 and nothing of it is published; otherwise every record
 * becomes an AuthEvent on auth.events (keyed by account) or a DLQ record with the reason, and the
 * answer is 200 only once the broker has acknowledged all of them. A retryable broker failure is a 503
 * with Retry-After, so the IdP sends the batch again; event ids derive from the IdP's own ids, so the
 * login-events consumer drops the repeats and a retried batch alerts once.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseEventsText } from '../contracts/json-text.js';
import { type IdpFormat, type IngestOutcome, mapIdpPayload } from '../ingest/index.js';
import { isObject } from '../ingest/types.js';
import type { InRecord } from '../kafka/consumer-loop.js';
import { type DeadLetters, Outputs } from '../kafka/dlq.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { bearer, digest } from './admin-auth.js';
import { errorBody } from './app.js';
import { addressRateLimit } from './rate-limit.js';

export interface IngestDeps {
  tokens: { auth0?: string; okta?: string };
  /** auth.events */
  topic: string;
  /** Dead letters built and published by the shared DLQ writer (src/kafka/dlq.ts). */
  dead: DeadLetters;
  metrics: Pick<Metrics, 'ingestRecords'>;
  log: Logger;
  now?: () => number;
  /** Requests per minute per client address (both IdPs together). */
  perMinute?: number;
}

/** Generous: an IdP sends from a few addresses, in bursts after an outage. */
export const INGEST_RATE_PER_MINUTE = 600;

export type IngestCounts = { published: number; ignored: number; dead_lettered: number };

/** The public-listener plugin with the enabled webhooks (none when no token is set). */
export function ingestRoutes(deps: IngestDeps): FastifyPluginAsync {
  return async (app) => {
    // Bodies are read as text (up to the listener's 1 MB, 413 beyond) whatever the content type:
    // Auth0 may send JSON lines, and the IdP's format decides, not a header.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const limited = addressRateLimit(app, deps.perMinute ?? INGEST_RATE_PER_MINUTE);
    const { auth0, okta } = deps.tokens;
    if (auth0) {
      const auth = tokenCheck(auth0, (request) => bearer(request.headers.authorization));
      app.post('/ingest/auth0', { onRequest: [limited, auth] }, (request, reply) =>
        ingest(deps, 'auth0', request, reply),
      );
    }
    if (okta) {
      const auth = tokenCheck(okta, (request) => request.headers.authorization);
      app.get('/ingest/okta', { onRequest: [limited, auth] }, async (request, reply) => {
        const challenge = request.headers['x-okta-verification-challenge'];
        if (typeof challenge !== 'string' || challenge === '') return reply.code(400).send(errorBody(400));
        return reply.send({ verification: challenge });
      });
      app.post('/ingest/okta', { onRequest: [limited, auth] }, (request, reply) =>
        ingest(deps, 'okta', request, reply),
      );
    }
  };
}

/** 401 unless `offered` equals the token; compared as fixed-length digests, in constant time. */
function tokenCheck(token: string, offered: (request: FastifyRequest) => string | undefined) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = offered(request);
    if (given !== undefined && given.length <= 1024 && timingSafeEqual(digest(given), expected)) return;
    await reply.code(401).send(errorBody(401));
  };
}

async function ingest(deps: IngestDeps, idp: IdpFormat, request: FastifyRequest, reply: FastifyReply) {
  const now = (deps.now ?? Date.now)();
  const text = typeof request.body === 'string' ? request.body : '';
  const batch = toOutputs(idp, text, now, deps);
  if (!batch.ok) {
    deps.log.debug({ idp, reason: batch.message }, 'ingest body refused');
    return reply.code(400).send(errorBody(400));
  }
  const { outputs, counts } = batch;
  try {
    await deps.dead.publish(outputs);
  } catch (err) {
    deps.metrics.ingestRecords.inc({ idp, outcome: 'failed' }, outputs.records.length);
    throw err;
  }
  for (const [outcome, n] of Object.entries(counts)) deps.metrics.ingestRecords.inc({ idp, outcome }, n);
  return reply.send(counts);
}

type Built = { ok: true; outputs: Outputs; counts: IngestCounts } | { ok: false; message: string };

/**
 * The body's records as outputs: AuthEvents for auth.events, DLQ records for invalid ones (each from a
 * synthetic consumed record on `ingest:<idp>`, offset = its place in the body). Pure but for `now`.
 */
export function toOutputs(
  idp: IdpFormat,
  text: string,
  now: number,
  deps: Pick<IngestDeps, 'topic' | 'dead'>,
): Built {
  if (text.trim() === '') return { ok: false, message: 'empty body' };
  const outputs = new Outputs();
  const counts: IngestCounts = { published: 0, ignored: 0, dead_lettered: 0 };
  let position = 0;
  for (const item of parseEventsText(text)) {
    // Not the parser's message: it quotes the body, and the reason is logged.
    if (item.error !== undefined) return { ok: false, message: `line ${item.line}: not JSON` };
    const batch = mapIdpPayload(idp, item.value, { now });
    if (!batch.ok) return { ok: false, message: `line ${item.line}: ${batch.message}` };
    const raw = recordsOf(idp, item.value);
    for (const o of batch.outcomes) {
      const origin = originOf(idp, o, raw[o.index] ?? item.value, position++, now);
      if (o.kind === 'event') {
        outputs.add({ topic: deps.topic, key: o.event.account_id, value: o.event }, origin);
        counts.published++;
      } else if (o.kind === 'invalid') {
        outputs.add(deps.dead.record(origin, { code: o.code, message: o.message }), origin);
        counts.dead_lettered++;
      } else counts.ignored++;
    }
  }
  return { ok: true, outputs, counts };
}

/** The records a payload holds, in the order the mappers number them. */
function recordsOf(idp: IdpFormat, payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload;
  const events = isObject(payload) && isObject(payload.data) ? payload.data.events : undefined;
  if (idp === 'okta' && Array.isArray(events)) return events;
  return [payload];
}

function originOf(
  idp: IdpFormat,
  o: IngestOutcome,
  record: unknown,
  position: number,
  now: number,
): InRecord {
  return {
    topic: `ingest:${idp}`,
    partition: 0,
    message: {
      key: Buffer.from(o.idp_event_id ?? ''),
      value: Buffer.from(JSON.stringify(record) ?? 'null'),
      headers: {},
      offset: String(position),
      timestamp: String(now),
      attributes: 0,
    },
  };
}
