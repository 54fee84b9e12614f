import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Requests per minute on the link pages, per client address and per link token. */
export interface LinkRateLimits {
  perAddress: number;
  perToken: number;
}

export const DEFAULT_LINK_RATE_LIMITS: LinkRateLimits = { perAddress: 30, perToken: 10 };

const WINDOW_MS = 60_000;

/** The client address a limit is keyed by: `request.ip` honours TRUST_PROXY_HOPS; IPv6 by /64. */
export function addressKey(request: FastifyRequest): string {
  // A socket already gone has no address: it shares one budget rather than failing the request.
  return normalizeIP(request.ip || 'unknown', 64);
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * An onRequest hook for `/r/:token`: one budget per client address, and one per token so a link
 * cannot be hammered from many addresses. A request over either gets 429 with Retry-After (the
 * seconds until its window ends). The token budget is only spent by requests the address allows.
 * `app` must have @fastify/rate-limit registered (each limiter keeps its own bounded LRU of keys).
 */
export function linkRateLimit(app: FastifyInstance, limits: LinkRateLimits) {
  const byAddress = app.createRateLimit({
    max: limits.perAddress,
    timeWindow: WINDOW_MS,
    keyGenerator: addressKey,
  });
  const byToken = app.createRateLimit({
    max: limits.perToken,
    timeWindow: WINDOW_MS,
    // Hashed: a 2 KB token costs its bucket 43 characters, whatever the 5,000 tracked keys are.
    keyGenerator: (request) =>
      createHash('sha256')
        .update((request.params as { token?: string }).token ?? '')
        .digest('base64url'),
  });
  return refuseOver([byAddress, byToken]);
}

/**
 * An onRequest hook with one budget per client address (`perMinute` requests), 429 with Retry-After
 * beyond it. `app` must have @fastify/rate-limit registered.
 */
export function addressRateLimit(app: FastifyInstance, perMinute: number) {
  return refuseOver([
    app.createRateLimit({ max: perMinute, timeWindow: WINDOW_MS, keyGenerator: addressKey }),
  ]);
}

/** Tries the limiters in order; the first to refuse answers 429 and later ones are not spent. */
function refuseOver(limiters: Limiter[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const limiter of limiters) {
      const refused = await overLimit(limiter, request);
      if (refused !== undefined) {
        await reply
          .code(429)
          .header('retry-after', String(refused))
          .type('text/plain; charset=utf-8')
          .send('Too many requests');
        return;
      }
    }
  };
}

/** Seconds to wait when `limiter` refuses the request; undefined when it is allowed. */
async function overLimit(limiter: Limiter, request: FastifyRequest): Promise<number | undefined> {
  const result = await limiter(request);
  if (result.isAllowed || !result.isExceeded) return undefined;
  return Math.max(1, result.ttlInSeconds);
}
