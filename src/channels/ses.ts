import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { AppError } from '../errors.js';
import type { Channel, EmailDelivery, SendResult } from './channel.js';

/** Options for the SES (v1 API) email channel. Credentials default to the SDK's provider chain. */
export interface SesChannelOptions {
  region: string;
  /** tests and local runs: an SES-compatible endpoint such as aws-ses-v2-local */
  endpoint?: string;
  from: string;
  configurationSet?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** whole-request deadline; default 10 s */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// An operator has to act before these succeed; retrying every few minutes is enough.
const PAUSED_RETRY_AFTER_S = 300;
// SES's daily quota is a rolling 24 h window: hammering it is pointless, an hour is a fair wait.
const DAILY_QUOTA_RETRY_AFTER_S = 3600;

/** SES message tag names and values allow only [A-Za-z0-9_-] (max 256): anything else becomes `_`. */
export function sesTagValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return clean === '' ? '_' : clean;
}

/** An email channel sending through SES SendEmail, tagged with the alert id and kind. */
export function createSesChannel(opts: SesChannelOptions): Channel<EmailDelivery> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new SESClient({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    // Our retry topic owns retries: an SDK retry loop would hold the consumer's partition.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: Math.min(timeoutMs, 3000),
      requestTimeout: timeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  });
  const utf8 = (Data: string) => ({ Data, Charset: 'UTF-8' });

  return {
    name: 'email',
    async send(d: EmailDelivery): Promise<SendResult> {
      // SES has no idempotency key: a retry after an ambiguous failure (timeout) may send twice.
      const command = new SendEmailCommand({
        Source: opts.from,
        Destination: { ToAddresses: [d.to] },
        Message: { Subject: utf8(d.subject), Body: { Text: utf8(d.text), Html: utf8(d.html) } },
        ...(opts.configurationSet === undefined ? {} : { ConfigurationSetName: opts.configurationSet }),
        Tags: [
          { Name: 'alert_id', Value: sesTagValue(d.alertId) },
          { Name: 'kind', Value: sesTagValue(d.kind) },
        ],
      });
      try {
        const out = await client.send(command);
        return out.MessageId === undefined ? {} : { providerMessageId: out.MessageId };
      } catch (err) {
        throw classifySesError(err);
      }
    },
    async close() {
      client.destroy();
    },
  };
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Maps any SES/SDK/network failure to an AppError; the single place SES errors are judged. */
export function classifySesError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  // The SDK names modelled errors after their class (`…Exception`) and unmodelled ones after the wire code.
  const name = (e.name ?? '').replace(/Exception$/, '');
  const status = e.$metadata?.httpStatusCode;
  const message = `SES ${e.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const make = (code: ConstructorParameters<typeof AppError>[0], retryable: boolean, retryAfterS?: number) =>
    new AppError(code, message, { retryable, cause: err, ...(retryAfterS ? { retryAfterS } : {}) });

  switch (name) {
    case 'Throttling':
    case 'TooManyRequests':
      return make(
        'PROVIDER_THROTTLED',
        true,
        /daily message quota/i.test(e.message ?? '') ? DAILY_QUOTA_RETRY_AFTER_S : undefined,
      );
    // Sending is switched off for the account, the configuration set or the MAIL FROM domain.
    // Retryable on purpose: nothing is wrong with the message, and it goes out once an operator acts.
    case 'AccountSendingPaused':
    case 'ConfigurationSetSendingPaused':
    case 'MailFromDomainNotVerified':
      return make('CHANNEL_PAUSED', true, PAUSED_RETRY_AFTER_S);
    case 'MessageRejected':
    case 'ConfigurationSetDoesNotExist':
      return make('PROVIDER_REJECTED', false);
    case 'InvalidParameterValue':
      // SES uses this for malformed addresses ("Missing final '@domain'", "Illegal address") and other fields.
      return make(/address|@/i.test(e.message ?? '') ? 'RECIPIENT_INVALID' : 'PROVIDER_REJECTED', false);
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'UnrecognizedClient':
    case 'AccessDenied':
    case 'IncompleteSignature':
    case 'ExpiredToken':
      return make('PROVIDER_AUTH', false);
    case 'TimeoutError':
    case 'AbortError':
      return make('PROVIDER_TIMEOUT', true);
  }
  if (status !== undefined) {
    if (status >= 500) return make('PROVIDER_UNAVAILABLE', true);
    if (status === 429) return make('PROVIDER_THROTTLED', true);
    if (status === 401 || status === 403) return make('PROVIDER_AUTH', false);
    return make('PROVIDER_REJECTED', false);
  }
  if (e.code === 'ETIMEDOUT') return make('PROVIDER_TIMEOUT', true);
  // No HTTP status: no answer at all (ECONNREFUSED, ECONNRESET, DNS…), so it may work later.
  return make('PROVIDER_UNAVAILABLE', true);
}
