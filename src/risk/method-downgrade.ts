import type { AuthMethod } from '../contracts/auth-event.js';
import type { SignInContext } from './types.js';

/** The methods advanced security allows: phishing-resistant, origin-bound WebAuthn credentials. */
export const PHISHING_RESISTANT_METHODS: ReadonlySet<AuthMethod> = new Set<AuthMethod>([
  'passkey',
  'security_key',
]);

/** True for passkeys and security keys; false for every other method. */
export function isPhishingResistant(method: AuthMethod): boolean {
  return PHISHING_RESISTANT_METHODS.has(method);
}

/**
 * method_downgrade: an account enrolled in advanced security signed in with anything other than a passkey
 * or security key. That covers the password family, SMS and recovery codes, and also:
 * - `sso`: its strength is whatever the identity provider enforced, which we cannot see;
 * - `magic_link`: exactly as strong as the mailbox, and the link can be phished or forwarded;
 * - `device_code`: the user approves a code shown elsewhere, a well-known phishing lure.
 * Advanced security promises passkeys and keys only, so any other method succeeding means the promise was
 * bypassed, and that is worth a critical alert. An allow-list also makes a future method a downgrade until
 * someone decides otherwise.
 */
export function isMethodDowngrade(ctx: Pick<SignInContext, 'event' | 'enrolled'>): boolean {
  return ctx.enrolled && !isPhishingResistant(ctx.event.auth.method);
}
