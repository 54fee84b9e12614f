import { assessSignIn } from '../../src/risk/assess.js';
import { rememberAdded, rememberUsed } from '../../src/risk/credentials.js';
import type { SignInContext } from '../../src/risk/types.js';
import { isUnknownCredential } from '../../src/risk/unknown-credential.js';
import { DAY, signIn, T0 } from './risk-context.js';

const registered = rememberAdded(undefined, 'cred-key', 'cb69481e-8ff7-4039-93ec-0a2729a154a8', T0);

/** A passkey sign-in at T0 + 1 day with `credentialId`, judged against `credentials`. */
function withCredential(credentialId: string | undefined, over: Partial<SignInContext> = {}): SignInContext {
  const ctx = signIn(T0 + DAY, over);
  if (credentialId !== undefined) ctx.event.auth.credential_id = credentialId;
  return ctx;
}

describe('unknown_credential', () => {
  it('fires, critical, for a credential the account never registered', () => {
    const ctx = withCredential('cred-other', { credentials: registered });
    expect(isUnknownCredential(ctx)).toBe(true);
    const a = assessSignIn(ctx);
    expect(a.reasons).toContain('unknown_credential');
    expect(a.severity).toBe('critical');
  });

  it('does not fire for a registered credential', () => {
    const ctx = withCredential('cred-key', { credentials: registered });
    expect(isUnknownCredential(ctx)).toBe(false);
    expect(assessSignIn(ctx).reasons).not.toContain('unknown_credential');
  });

  it('does not fire for a credential an earlier sign-in already used', () => {
    const credentials = rememberUsed(registered, 'cred-old', T0);
    expect(isUnknownCredential(withCredential('cred-old', { credentials }))).toBe(false);
  });

  it('does not fire while no credential is remembered, or only ones learnt from sign-ins', () => {
    expect(isUnknownCredential(withCredential('cred-other', { credentials: { credentials: {} } }))).toBe(
      false,
    );
    const learnt = rememberUsed(undefined, 'cred-old', T0);
    expect(isUnknownCredential(withCredential('cred-other', { credentials: learnt }))).toBe(false);
  });

  it('does not fire for an account that is not enrolled, or whose credentials were not read', () => {
    expect(
      isUnknownCredential(withCredential('cred-other', { credentials: registered, enrolled: false })),
    ).toBe(false);
    expect(isUnknownCredential(withCredential('cred-other'))).toBe(false);
  });

  it('does not fire for a sign-in without a credential id', () => {
    expect(isUnknownCredential(withCredential(undefined, { credentials: registered }))).toBe(false);
  });
});
