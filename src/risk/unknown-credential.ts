import { hasRegistered, recall } from './credentials.js';
import type { SignInContext } from './types.js';

/**
 * unknown_credential: an enrolled account signed in with a `credential_id` login-alerts has not
 * seen for it (neither added by a `credential.added` nor used in an earlier sign-in), while it
 * remembers at least one credential registered through `credential.added`. Without such a
 * registration the memory only holds what sign-ins taught it, and credentials that predate
 * login-alerts would all look unknown, so the signal stays silent. A sign-in without a credential
 * id (a password, SSO) never raises it.
 */
export function isUnknownCredential(ctx: Pick<SignInContext, 'event' | 'enrolled' | 'credentials'>): boolean {
  const id = ctx.event.auth.credential_id;
  if (!ctx.enrolled || id === undefined || ctx.credentials === undefined) return false;
  return hasRegistered(ctx.credentials) && recall(ctx.credentials, id) === undefined;
}
