// The port every identity provider's responder implements: one method, like a channel's send.
import type { IdpRef } from '../contracts/idp.js';
import type { ResponseAction } from '../contracts/records.js';

/** What an action came to at the IdP: done, or its target was already gone (as good as done). */
export type ActOutcome = 'done' | 'not_found';

/**
 * Ends a session, every session, or removes a credential at one identity provider. Throws an AppError whose
 * `code` and `retryable` (and `retryAfterS`, when the IdP said) are all the caller decides from.
 */
export interface Responder {
  act(action: ResponseAction, target: IdpRef): Promise<ActOutcome>;
}

/** Every request to an IdP is bounded: this long at most, and this many bytes of answer at most. */
export const REQUEST_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;
