import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { AppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';

/**
 * Limits shared by both listeners, chosen rather than inherited. Header timeout and size bound a
 * slow or oversized request head (slowloris → 408, oversized → 431); `requestTimeout` bounds the
 * whole request including a 1 MB webhook body on a slow link; idle keep-alive outlives the 60 s
 * idle timeout of common load balancers so they never reuse a socket we are closing.
 */
export const HTTP_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /** Socket inactivity (no bytes either way) while a request or response is in flight. */
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  maxRequestsPerSocket: 1_000,
  /** Node's default, kept deliberately: a 14 KB request line still reaches routing and gets a 4xx. */
  maxHeaderBytes: 16 * 1024,
  /** How often Node checks the header and request timeouts. */
  timeoutCheckMs: 1_000,
  /** Longest path parameter (a signed link token is at most 2048 characters). */
  maxParamChars: 2048,
} as const;

export interface AppOptions {
  /** `public` or `admin`: names the listener in logs. */
  name: string;
  log: Logger;
  bodyLimit: number;
  /** Reverse proxies in front of this listener whose X-Forwarded-For entry is trusted (0: none). */
  trustProxyHops?: number;
}

/**
 * A fastify instance with our limits, our logger and our error shape: a client error is a 4xx with a
 * short JSON body that never echoes the request; a handler failure is a 500 (503 when retryable)
 * logged with its code and the route pattern, never the raw URL.
 */
export function createHttpApp(opts: AppOptions): FastifyInstance {
  const log = opts.log.child({ listener: opts.name });
  const app = Fastify({
    loggerInstance: log.child({}, { level: atLeastWarn(log) }) as FastifyBaseLogger,
    // Fastify's per-request lines carry the raw URL; ours (below) carry the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: proxyTrust(opts.trustProxyHops ?? 0),
    bodyLimit: opts.bodyLimit,
    http: {
      maxHeaderSize: HTTP_LIMITS.maxHeaderBytes,
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckMs,
    },
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    connectionTimeout: HTTP_LIMITS.connectionTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    maxRequestsPerSocket: HTTP_LIMITS.maxRequestsPerSocket,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: HTTP_LIMITS.maxParamChars },
    // A bad percent-escape (400) or an overlong parameter (414): answered without echoing the path.
    frameworkErrors: (err, _request, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      log.debug({ code: err.code, status }, 'bad request url');
      void (reply as FastifyReply).code(status).send(errorBody(status));
    },
  });

  // We are an origin server, not a proxy: only origin-form targets (`/path`) are accepted.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.raw.url?.startsWith('/')) return reply.code(400).send(errorBody(400));
  });
  app.addHook('onResponse', async (request, reply) => {
    log.debug({ route: routeOf(request), method: request.method, status: reply.statusCode }, 'http');
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody(404)));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = statusOf(err);
    const route = routeOf(request);
    if (status >= 500) log.error({ err, code: codeOf(err), route, status }, 'http handler failed');
    else log.debug({ code: err.code, route, status }, 'http client error');
    if (reply.sent) return;
    if (status === 503) void reply.header('retry-after', '30');
    return reply.code(status).send(errorBody(status));
  });
  // CONNECT is for proxies: answer it instead of dropping the socket.
  app.server.on('connect', (_req, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n');
  });
  return app;
}

/** The JSON body of every error response: the status text, nothing from the request. */
export function errorBody(status: number): { error: string } {
  return { error: (STATUS_CODES[status] ?? 'error').toLowerCase() };
}

/** The route pattern a request matched (`/r/:token`), or `(unmatched)`: never the raw URL. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? '(unmatched)';
}

/**
 * The trust function for X-Forwarded-For: the socket peer is hop 0, the rightmost entry hop 1, and
 * so on. With `hops` proxies, the client address is the `hops`-th entry from the right; entries
 * further left were written by the client and are ignored. Fastify's numeric `trustProxy` now
 * trusts nothing, so the count is applied here.
 */
export function proxyTrust(hops: number): false | ((address: string, hop: number) => boolean) {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

function statusOf(err: FastifyError): number {
  if (err instanceof AppError) return err.retryable ? 503 : 500;
  const status = err.statusCode;
  return status !== undefined && status >= 400 && status < 600 ? status : 500;
}

function codeOf(err: unknown): string {
  return err instanceof AppError ? err.code : 'INTERNAL';
}

function atLeastWarn(log: Logger): string {
  return log.levelVal >= log.levels.values.warn! ? log.level : 'warn';
}
