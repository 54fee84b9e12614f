import twilio from 'twilio';
import { AppError, type ErrorCode } from '../errors.js';
import type { Channel, SendResult, SmsDelivery } from './channel.js';

/** Options for the Twilio SMS channel; exactly one of `from` and `messagingServiceSid` is used (the service wins). */
export interface TwilioChannelOptions {
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  /** tests: the base URL of a mock (Prism, a fault server) that replaces https://*.twilio.com */
  apiBaseUrl?: string;
  /** request timeout; default 10 s */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const TWILIO_ORIGIN = /^https:\/\/[a-z0-9.-]+\.twilio\.com/i;

type RequestOpts = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * twilio-node has no base-URL option; its maintainers suggest a custom httpClient instead
 * (twilio/twilio-node#326). This one rewrites the origin and keeps the rest of RequestClient.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, autoRetry: false });
  }

  override request<T>(opts: RequestOpts): Promise<T> {
    return super.request({ ...opts, uri: opts.uri.replace(TWILIO_ORIGIN, this.baseUrl) }) as Promise<T>;
  }
}

/** An SMS channel sending through Twilio's Messages API. */
export function createTwilioChannel(opts: TwilioChannelOptions): Channel<SmsDelivery> {
  if (!opts.from && !opts.messagingServiceSid) {
    throw new AppError('BAD_CONFIG', 'Twilio needs a sender: set `from` or `messagingServiceSid`');
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const httpClient =
    opts.apiBaseUrl === undefined
      ? // autoRetry stays off: retries belong to our retry topic, not to a consumer holding its partition.
        new twilio.RequestClient({ timeout: timeoutMs, autoRetry: false })
      : new BaseUrlRequestClient(opts.apiBaseUrl.replace(/\/+$/, ''), timeoutMs);
  const client = twilio(opts.accountSid, opts.authToken, { httpClient });
  const sender = opts.messagingServiceSid
    ? { messagingServiceSid: opts.messagingServiceSid }
    : { from: opts.from };

  return {
    name: 'sms',
    async send(d: SmsDelivery): Promise<SendResult> {
      // Twilio's Messages API takes no idempotency key: a retry after a timeout whose request did
      // reach Twilio sends a second SMS. The delivery log (keyed by idempotencyKey) limits this to
      // ambiguous failures only.
      try {
        const msg = await client.messages.create({ to: d.to, body: d.body, ...sender });
        return { providerMessageId: msg.sid };
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}

interface TwilioErrorLike {
  status?: number;
  code?: number | string;
  message?: string;
  isAxiosError?: boolean;
}

// Twilio error codes: https://www.twilio.com/docs/api/errors
const BY_TWILIO_CODE: Record<number, [ErrorCode, boolean]> = {
  20429: ['PROVIDER_THROTTLED', true],
  20003: ['PROVIDER_AUTH', false], // authentication failed
  21610: ['RECIPIENT_UNSUBSCRIBED', false], // the recipient replied STOP
  21211: ['RECIPIENT_INVALID', false], // invalid To
  21614: ['RECIPIENT_INVALID', false], // To is not a mobile number
  21612: ['RECIPIENT_INVALID', false], // To cannot be reached from this sender
  21606: ['PROVIDER_REJECTED', false], // From cannot send to this destination
  21608: ['PROVIDER_REJECTED', false], // trial account, unverified To
  21408: ['PROVIDER_REJECTED', false], // sending to this region is not enabled
};

/** Maps a twilio-node / axios failure to an AppError; the single place Twilio errors are judged. */
export function classifyTwilioError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as TwilioErrorLike;
  // An axios error carries the request config, Basic auth header included: never keep it as the cause.
  const cause = e.isAxiosError ? undefined : err;
  const make = (code: ErrorCode, retryable: boolean, what: string) =>
    new AppError(code, `Twilio ${what}: ${e.message ?? String(err)}`, { retryable, cause });

  // RestException / TwilioServiceException: the API answered with a status and (usually) a Twilio code.
  if (typeof e.status === 'number') {
    const what = `HTTP ${e.status}${typeof e.code === 'number' ? ` code ${e.code}` : ''}`;
    const known = typeof e.code === 'number' ? BY_TWILIO_CODE[e.code] : undefined;
    if (known) return make(known[0], known[1], what);
    if (e.status === 429) return make('PROVIDER_THROTTLED', true, what);
    if (e.status >= 500) return make('PROVIDER_UNAVAILABLE', true, what);
    if (e.status === 401 || e.status === 403) return make('PROVIDER_AUTH', false, what);
    return make('PROVIDER_REJECTED', false, what);
  }
  // No answer: axios reports its own timeout as ECONNABORTED (or ETIMEDOUT with clarifyTimeoutError).
  if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') return make('PROVIDER_TIMEOUT', true, 'timeout');
  return make('PROVIDER_UNAVAILABLE', true, typeof e.code === 'string' ? e.code : 'network error');
}
