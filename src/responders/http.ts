// One bounded HTTP exchange with an identity provider's admin API, and the one classification of its answer.
import { AppError, parseRetryAfter } from '../errors.js';
import { MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS } from './responder.js';

export interface IdpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface IdpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends one request: at most REQUEST_TIMEOUT_MS for the whole exchange and MAX_RESPONSE_BYTES of body, no
 * redirects followed (an admin API that redirects is misconfigured, and a redirect could carry the
 * credentials elsewhere). Network failures and timeouts are retryable; the URL (never the headers, which
 * hold credentials) is named in the message.
 */
export async function idpFetch(
  url: string,
  req: IdpRequest,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<IdpAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { ...req, redirect: 'manual', signal });
    return { status: res.status, headers: res.headers, body: await readBounded(res) };
  } catch (err) {
    if (err instanceof AppError) throw err;
    const timedOut = signal.aborted;
    throw new AppError(
      timedOut ? 'PROVIDER_TIMEOUT' : 'PROVIDER_UNAVAILABLE',
      `${req.method} ${safeUrl(url)}: ${timedOut ? `no answer within ${timeoutMs} ms` : (err as Error).message}`,
      { retryable: true, cause: err },
    );
  }
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body.cancel().catch(() => {});
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `IdP answer larger than ${MAX_RESPONSE_BYTES} bytes`);
}

/** The URL without its query (which never holds secrets here, but may hold ids). */
export function safeUrl(url: string): string {
  return url.split('?')[0] ?? url;
}

/**
 * The one classification of an IdP's answer to an action: 2xx done, 404 not found (the session or
 * credential is already gone: success), 429 throttled with the IdP's wait, 5xx unavailable (both
 * retryable), 401/403 an authorisation problem, any other answer rejected (both for good).
 */
export function classifyAnswer(answer: IdpAnswer, what: string): 'done' | 'not_found' {
  const { status } = answer;
  if (status >= 200 && status < 300) return 'done';
  if (status === 404) return 'not_found';
  throw answerError(answer, what);
}

/** The AppError for a non-2xx answer (404 included, for requests where it is not an outcome). */
export function answerError(answer: IdpAnswer, what: string): AppError {
  const { status } = answer;
  const detail = `${what}: HTTP ${status}`;
  if (status === 429)
    return new AppError('PROVIDER_THROTTLED', detail, {
      retryable: true,
      retryAfterS: retryAfterS(answer.headers),
    });
  if (status >= 500) return new AppError('PROVIDER_UNAVAILABLE', detail, { retryable: true });
  if (status === 401 || status === 403) return new AppError('PROVIDER_AUTH', detail);
  return new AppError('PROVIDER_REJECTED', detail);
}

/**
 * Seconds to wait from a 429: `Retry-After` (seconds or an HTTP date), else the reset time Auth0
 * (`x-ratelimit-reset`) and Okta (`x-rate-limit-reset`) send as epoch seconds.
 */
export function retryAfterS(headers: Headers, now = Date.now()): number | undefined {
  const after = parseRetryAfter(headers.get('retry-after') ?? undefined, now);
  if (after !== undefined) return after;
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('x-rate-limit-reset');
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) - Math.floor(now / 1000));
  return undefined;
}

/** The JSON body of an answer, or a PROVIDER_REJECTED naming what was expected. */
export function jsonOf(answer: IdpAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.body);
  } catch {
    throw new AppError('PROVIDER_REJECTED', `${what}: the answer is not JSON`);
  }
}

/** A path segment: every id is percent-encoded, whatever its shape check already allowed. */
export const seg = (id: string) => encodeURIComponent(id);

/** An action whose id the alert does not carry: selection never asks for it, so this is a bug, for good. */
export function required(v: string | undefined, name: string): string {
  if (v === undefined) throw new AppError('PROVIDER_REJECTED', `the alert names no ${name}`);
  return v;
}

/** A responder handed another provider's target: a wiring bug, for good. */
export function wrongProvider(provider: string): AppError {
  return new AppError('INTERNAL', `responder called for a ${provider} target`);
}
