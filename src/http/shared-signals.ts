/**
 * The Shared Signals transmitter's public routes (SSF 1.0 §7–8): discovery, JWKS, and the stream
 * management API for receivers, plus the RFC 8936 poll endpoint. Management requires a receiver's
 * bearer token; a receiver reaches only its own streams (another's id answers 404, as an unknown
 * one does). Bodies are JSON up to 64 KiB; every route has a per-address rate limit.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { SsfReceiver } from '../config/shared-signals.js';
import {
  EVENTS_SUPPORTED,
  POLL_METHOD,
  PollInputSchema,
  PUSH_METHOD,
  SPEC_VERSION,
  StatusInputSchema,
  StreamInputSchema,
  SubjectInputSchema,
  VerifyInputSchema,
} from '../contracts/shared-signals.js';
import type { Metrics } from '../observe/metrics.js';
import { jtiFor, verificationBody } from '../signals/events.js';
import type { StreamQueue } from '../signals/queue.js';
import type { SetSigner } from '../signals/signer.js';
import { eventsDelivered, type StreamRecord, type StreamRepository } from '../signals/streams.js';
import { bearer, digest } from './admin-auth.js';
import { errorBody } from './app.js';
import { addressRateLimit } from './rate-limit.js';

export interface SharedSignalsRoutesDeps {
  signer: SetSigner;
  streams: StreamRepository;
  queue: StreamQueue;
  receivers: readonly SsfReceiver[];
  defaultSubjects: 'ALL' | 'NONE';
  metrics: Metrics;
  /** New SETs or a stream enabled: the push loop looks at these streams now. */
  wake(streamIds: string[]): void;
  /** Requests per minute per client address on these routes (default 300). */
  perMinute?: number;
  /** Longest a poll with returnImmediately false waits for a SET (default 10 s). */
  pollWaitMs?: number;
}

const BODY_LIMIT = 64 * 1024;
const DEFAULT_MAX_EVENTS = 100;

/** The routes, as a plugin for the public listener. */
export function sharedSignalsRoutes(deps: SharedSignalsRoutesDeps) {
  return async (app: FastifyInstance) => {
    // JSON only: any other body is 415 (fastify's text/plain parser is not wanted here).
    app.removeContentTypeParser('text/plain');
    const limited = addressRateLimit(app, deps.perMinute ?? 300);
    const issuer = deps.signer.issuer;
    const authenticate = receiverAuth(deps.receivers);
    const guarded = { onRequest: limited, preHandler: authenticate, bodyLimit: BODY_LIMIT };
    const ctx: RouteContext = { deps, issuer, limited, guarded };
    discoveryRoutes(app, ctx);
    streamRoutes(app, ctx);
    controlRoutes(app, ctx);
    app.post<{ Params: { id: string } }>('/ssf/poll/:id', guarded, async (request, reply) => {
      const input = parse(PollInputSchema, request.body ?? {}, reply);
      if (input === undefined) return reply;
      const stream = await deps.streams.get(audienceOf(request), request.params.id);
      if (stream === undefined || stream.delivery.method !== POLL_METHOD) return notFound(reply);
      return poll(deps, stream, input);
    });
  };
}

interface RouteContext {
  deps: SharedSignalsRoutesDeps;
  issuer: string;
  limited: ReturnType<typeof addressRateLimit>;
  guarded: {
    onRequest: ReturnType<typeof addressRateLimit>;
    preHandler: ReturnType<typeof receiverAuth>;
    bodyLimit: number;
  };
}

const audienceOf = (request: FastifyRequest) => (request as FastifyRequest & { receiver: string }).receiver;

/** Transmitter metadata (SSF 1.0 §7.1) and its keys. */
function discoveryRoutes(app: FastifyInstance, { deps, issuer, limited }: RouteContext): void {
  app.get('/.well-known/ssf-configuration', { onRequest: limited }, async () => ({
    spec_version: SPEC_VERSION,
    issuer,
    jwks_uri: `${issuer}/ssf/jwks`,
    delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
    configuration_endpoint: `${issuer}/ssf/streams`,
    status_endpoint: `${issuer}/ssf/status`,
    add_subject_endpoint: `${issuer}/ssf/subjects/add`,
    remove_subject_endpoint: `${issuer}/ssf/subjects/remove`,
    verification_endpoint: `${issuer}/ssf/verify`,
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
    default_subjects: deps.defaultSubjects,
  }));
  app.get('/ssf/jwks', { onRequest: limited }, async (_request, reply) =>
    reply.type('application/jwk-set+json').send(deps.signer.jwks),
  );
}

/** Stream configuration (SSF 1.0 §8.1.1): create, read, update, replace, delete. */
function streamRoutes(app: FastifyInstance, { deps, issuer, guarded }: RouteContext): void {
  const { streams } = deps;

  app.post('/ssf/streams', guarded, async (request, reply) => {
    const input = parse(StreamInputSchema, request.body, reply);
    if (input === undefined) return reply;
    const created = await streams.create(audienceOf(request), {
      delivery: input.delivery,
      events_requested: input.events_requested ?? [],
      ...(input.description === undefined ? {} : { description: input.description }),
    });
    if (created === undefined)
      return reply.code(409).send({ ...errorBody(409), description: 'stream limit reached' });
    return reply.code(201).send(view(created, issuer));
  });
  app.get<{ Querystring: { stream_id?: string } }>('/ssf/streams', guarded, async (request, reply) => {
    const id = request.query.stream_id;
    if (id === undefined) return (await streams.ofReceiver(audienceOf(request))).map((s) => view(s, issuer));
    const stream = await streams.get(audienceOf(request), String(id));
    return stream === undefined ? notFound(reply) : view(stream, issuer);
  });
  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/ssf/streams',
      ...guarded,
      handler: async (request, reply) => {
        const body = request.body as { stream_id?: unknown } | undefined;
        const schema = method === 'PUT' ? StreamInputSchema : StreamInputSchema.partial();
        const input = parse(schema, request.body, reply);
        if (input === undefined) return reply;
        if (typeof body?.stream_id !== 'string') return badRequest(reply, 'stream_id is required');
        const updated = await streams.update(audienceOf(request), body.stream_id, (s) => ({
          ...s,
          delivery: input.delivery ?? s.delivery,
          events_requested: input.events_requested ?? (method === 'PUT' ? [] : s.events_requested),
          ...(input.description !== undefined || method === 'PUT' ? { description: input.description } : {}),
        }));
        return updated === undefined ? notFound(reply) : view(updated, issuer);
      },
    });
  }
  app.delete<{ Querystring: { stream_id?: string } }>('/ssf/streams', guarded, async (request, reply) => {
    const id = request.query.stream_id;
    if (typeof id !== 'string') return badRequest(reply, 'stream_id is required');
    return (await streams.remove(audienceOf(request), id)) ? reply.code(204).send() : notFound(reply);
  });
}

/** Stream status (§8.1.2), subjects (§8.1.3) and verification (§8.1.4). */
function controlRoutes(app: FastifyInstance, { deps, guarded }: RouteContext): void {
  const { streams } = deps;
  app.get<{ Querystring: { stream_id?: string } }>('/ssf/status', guarded, async (request, reply) => {
    const id = request.query.stream_id;
    const stream = typeof id === 'string' ? await streams.get(audienceOf(request), id) : undefined;
    return stream === undefined ? notFound(reply) : statusOf(stream);
  });
  app.post('/ssf/status', guarded, async (request, reply) => {
    const input = parse(StatusInputSchema, request.body, reply);
    if (input === undefined) return reply;
    const updated = await streams.update(audienceOf(request), input.stream_id, (s) => {
      const { reason: _reason, ...rest } = s;
      return input.reason === undefined
        ? { ...rest, status: input.status }
        : { ...rest, status: input.status, reason: input.reason };
    });
    if (updated === undefined) return notFound(reply);
    if (updated.status === 'enabled') deps.wake([updated.stream_id]);
    // SSF 1.0 §8.1.2: a disabled stream holds nothing.
    if (updated.status === 'disabled') await deps.queue.clear(updated.stream_id);
    return statusOf(updated);
  });

  for (const [path, present] of [
    ['/ssf/subjects/add', true],
    ['/ssf/subjects/remove', false],
  ] as const) {
    app.post(path, guarded, async (request, reply) => {
      const input = parse(SubjectInputSchema, request.body, reply);
      if (input === undefined) return reply;
      const stream = await streams.get(audienceOf(request), input.stream_id);
      if (stream === undefined) return notFound(reply);
      await streams.setSubject(stream, input.subject, present);
      return present ? reply.code(200).send() : reply.code(204).send();
    });
  }

  app.post('/ssf/verify', guarded, async (request, reply) => {
    const input = parse(VerifyInputSchema, request.body, reply);
    if (input === undefined) return reply;
    const stream = await streams.get(audienceOf(request), input.stream_id);
    if (stream === undefined) return notFound(reply);
    if (stream.status === 'disabled')
      return reply.code(409).send({ ...errorBody(409), description: 'stream is disabled' });
    const body = verificationBody(stream.stream_id, input.state, randomUUID());
    const jti = jtiFor(body.id, stream.stream_id);
    const set = await deps.signer.sign(body, { audience: stream.audience, jti });
    await deps.queue.enqueue(stream.stream_id, [{ jti, set }]);
    deps.wake([stream.stream_id]);
    return reply.code(204).send();
  });
}

/** RFC 8936 §2.4: acknowledge, record errors, then hand out the oldest unacknowledged SETs. */
async function poll(
  deps: SharedSignalsRoutesDeps,
  stream: StreamRecord,
  input: z.output<typeof PollInputSchema>,
) {
  const id = stream.stream_id;
  const errors = Object.entries(input.setErrs ?? {}).map(([jti, e]) => ({
    jti,
    err: e.err,
    ...(e.description === undefined ? {} : { description: e.description }),
    at: new Date().toISOString(),
  }));
  const acked = input.ack ?? [];
  if (acked.length > 0 || errors.length > 0) {
    const left = await deps.queue.settle(id, acked, errors);
    deps.metrics.ssfBacklog.set({ stream: id }, left);
    deps.metrics.ssfSets.inc({ type: 'any', outcome: 'acknowledged' }, acked.length);
  }
  const max = input.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (max === 0 || stream.status !== 'enabled') return { sets: {}, moreAvailable: false };
  // RFC 8936 §2.4: without returnImmediately the request is a long poll.
  const deadline = Date.now() + (input.returnImmediately === true ? 0 : (deps.pollWaitMs ?? 10_000));
  for (;;) {
    const { items } = await deps.queue.read(id);
    if (items.length > 0 || Date.now() >= deadline) {
      const sets = Object.fromEntries(items.slice(0, max).map((i) => [i.jti, i.set]));
      return { sets, moreAvailable: items.length > max };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A stream as the receiver reads it (SSF 1.0 §8.1.1); the authorization header it gave is not echoed. */
function view(stream: StreamRecord, issuer: string) {
  const delivery =
    stream.delivery.method === PUSH_METHOD
      ? { method: PUSH_METHOD, endpoint_url: stream.delivery.endpoint_url }
      : { method: POLL_METHOD, endpoint_url: `${issuer}/ssf/poll/${stream.stream_id}` };
  return {
    stream_id: stream.stream_id,
    iss: issuer,
    aud: stream.audience,
    delivery,
    events_supported: EVENTS_SUPPORTED,
    events_requested: stream.events_requested,
    events_delivered: eventsDelivered(stream),
    ...(stream.description === undefined ? {} : { description: stream.description }),
  };
}

function statusOf(stream: StreamRecord) {
  return {
    stream_id: stream.stream_id,
    status: stream.status,
    ...(stream.reason === undefined ? {} : { reason: stream.reason }),
  };
}

/** The body as `schema` reads it, or undefined after answering 400 naming the fields at fault. */
function parse<S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.output<S> | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'body'))].slice(0, 5);
  void badRequest(reply, `invalid ${fields.join(', ')}`);
  return undefined;
}

const badRequest = (reply: FastifyReply, description: string) =>
  reply.code(400).send({ ...errorBody(400), description });
const notFound = (reply: FastifyReply) => reply.code(404).send(errorBody(404));

/**
 * A preHandler that admits a configured receiver's bearer token and names the receiver on the
 * request. Every token is compared (as a SHA-256 digest, in constant time), so the time taken
 * tells nothing about which token, or how much of one, matched.
 */
function receiverAuth(receivers: readonly SsfReceiver[]) {
  const known = receivers.map((r) => ({ audience: r.audience, digest: digest(r.token) }));
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(request.headers.authorization);
    const given = digest(token ?? '');
    let audience: string | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, given) && token !== undefined) audience = k.audience;
    if (audience === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(401));
    }
    (request as FastifyRequest & { receiver: string }).receiver = audience;
  };
}
