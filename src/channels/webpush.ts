import type https from 'node:https';
import webpush from 'web-push';
import { AppError, type ErrorCode, parseRetryAfter } from '../errors.js';
import type { Channel, PushDelivery, SendResult } from './channel.js';
import { compileAllowList } from './push-hosts.js';
import { encodePushPayload, pushUrgency } from './push-payload.js';
import { type HostResolver, type PushTarget, post, resolveTarget, systemResolver } from './push-post.js';

export { type HostResolver, systemResolver } from './push-post.js';

/** Options for the Web Push channel (VAPID, RFC 8292; aes128gcm, RFC 8291). */
export interface WebPushChannelOptions {
  vapid: { publicKey: string; privateKey: string; subject: string };
  /** WEB_PUSH_ALLOWED_HOSTS: host names or `*.suffix` patterns endpoints may use */
  allowedHosts: readonly string[];
  /**
   * Whether `allowedHosts` is the operator's own list, whose exact names may resolve anywhere
   * (default true); false for the built-in defaults, whose every address must be public.
   */
  trustExactHosts?: boolean;
  /** deadline for a whole request (connect, send, answer); default 10 s */
  timeoutMs?: number;
  /** tests: an agent that trusts the local push service's self-signed CA */
  agent?: https.Agent;
  /** tests: answers for names that are not in DNS */
  resolver?: HostResolver;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A push channel sending encrypted notifications to a browser's push service. */
export function createWebPushChannel(opts: WebPushChannelOptions): Channel<PushDelivery> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const vapidDetails = { ...opts.vapid };
  try {
    // Checks the subject and both keys once, so a bad key is a start-up error, not a failed delivery.
    webpush.getVapidHeaders(
      'https://push.invalid',
      vapidDetails.subject,
      vapidDetails.publicKey,
      vapidDetails.privateKey,
      'aes128gcm',
    );
  } catch (err) {
    throw new AppError('BAD_CONFIG', `invalid VAPID details: ${(err as Error).message}`);
  }
  const allowList = compileAllowList(opts.allowedHosts, { trustExact: opts.trustExactHosts ?? true });
  const resolver = opts.resolver ?? systemResolver;

  /** Where this endpoint may be reached, or PUSH_ENDPOINT_NOT_ALLOWED: checked at every send, after DNS. */
  async function target(endpoint: string): Promise<PushTarget> {
    const resolved = await resolveTarget(endpoint, allowList, resolver);
    if (!resolved.ok) throw notAllowed(resolved.reason);
    return resolved.target;
  }

  return {
    name: 'push',
    async send(d: PushDelivery): Promise<SendResult> {
      const payload = encodePushPayload(d.payload);
      const { endpoint, keys } = d.subscription;
      try {
        const to = await target(endpoint);
        const details = webpush.generateRequestDetails({ endpoint, keys }, payload, {
          vapidDetails,
          TTL: Math.max(0, Math.floor(d.ttlS)),
          urgency: pushUrgency(d),
          // A newer alert with the same topic replaces an undelivered one instead of stacking.
          topic: pushTopic(d.topic),
          contentEncoding: 'aes128gcm',
        });
        const res = await post(to, details, { agent: opts.agent, timeoutMs: timeout });
        if (res.status < 200 || res.status > 299) {
          throw new webpush.WebPushError(
            'Received unexpected response code',
            res.status,
            res.headers,
            res.body,
            endpoint,
          );
        }
        const location = res.headers.location;
        return typeof location === 'string' ? { providerMessageId: location } : {};
      } catch (err) {
        throw classifyWebPushError(err);
      }
    },
  };
}

function notAllowed(reason: string): AppError {
  return new AppError('PUSH_ENDPOINT_NOT_ALLOWED', `push endpoint not allowed: ${reason}`, {
    retryable: false,
  });
}

/** Topics are at most 32 characters of the URL-safe base64 alphabet (RFC 8030 §5.4). */
export function pushTopic(topic: string): string {
  const clean = topic.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32);
  return clean === '' ? '_' : clean;
}

/** Maps a web-push failure to an AppError; the single place push service answers are judged. */
export function classifyWebPushError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof webpush.WebPushError) {
    const status = err.statusCode;
    // Never put the endpoint in a message: it is a capability URL for the user's browser.
    const message = `push service answered HTTP ${status}${err.body ? `: ${err.body.slice(0, 200)}` : ''}`;
    const retryAfterS = parseRetryAfter(err.headers['retry-after']);
    const make = (code: ErrorCode, retryable: boolean) =>
      new AppError(code, message, {
        retryable,
        cause: err,
        ...(retryAfterS === undefined ? {} : { retryAfterS }),
      });
    if (status === 404 || status === 410) return make('SUBSCRIPTION_GONE', false);
    if (status === 429) return make('PROVIDER_THROTTLED', true);
    if (status === 413) return make('PAYLOAD_TOO_LARGE', false);
    // 401/403: the VAPID token is invalid or the key is not the one the subscription was made with.
    if (status === 401 || status === 403) return make('PROVIDER_AUTH', false);
    if (status >= 500) return make('PROVIDER_UNAVAILABLE', true);
    return make('PROVIDER_REJECTED', false);
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; message?: string };
  const message = `push request failed: ${e.message ?? String(err)}`;
  // web-push destroys the request with this message when its socket timeout fires.
  if (e.message === 'Socket timeout' || e.code === 'ETIMEDOUT') {
    return new AppError('PROVIDER_TIMEOUT', message, { retryable: true, cause: err });
  }
  if (typeof e.code === 'string') {
    return new AppError('PROVIDER_UNAVAILABLE', message, { retryable: true, cause: err });
  }
  // No network code: web-push refused the subscription itself (bad p256dh/auth, non-https endpoint).
  return new AppError('RECIPIENT_INVALID', message, { retryable: false, cause: err });
}
