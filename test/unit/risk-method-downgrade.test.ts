import { AUTH_METHODS, type AuthMethod } from '../../src/contracts/auth-event.js';
import { isMethodDowngrade, isPhishingResistant } from '../../src/risk/method-downgrade.js';
import { signIn, T0 } from './risk-context.js';

const DOWNGRADES: AuthMethod[] = [
  'password',
  'password_otp',
  'password_sms',
  'recovery_code',
  // Not phishing-resistant either; see method-downgrade.ts for why these count.
  'sso',
  'magic_link',
  'device_code',
];

describe('method downgrade', () => {
  it.each(['passkey', 'security_key'] as const)('is never a downgrade to sign in with a %s', (method) => {
    expect(isPhishingResistant(method)).toBe(true);
    expect(isMethodDowngrade(signIn(T0, { method, enrolled: true }))).toBe(false);
  });

  it.each(DOWNGRADES)('is a downgrade to sign in with %s on an enrolled account', (method) => {
    expect(isMethodDowngrade(signIn(T0, { method, enrolled: true }))).toBe(true);
  });

  it.each(AUTH_METHODS)('is never a downgrade (%s) on an account not enrolled', (method) => {
    expect(isMethodDowngrade(signIn(T0, { method, enrolled: false }))).toBe(false);
  });

  it('classifies every method', () => {
    expect(AUTH_METHODS.filter((m) => !isPhishingResistant(m)).sort()).toEqual([...DOWNGRADES].sort());
  });
});
