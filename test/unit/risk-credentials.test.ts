import {
  type CredentialMemory,
  credentialKey,
  emptyCredentials,
  forget,
  hasRegistered,
  MAX_REMEMBERED_CREDENTIALS,
  recall,
  rememberAdded,
  rememberUsed,
} from '../../src/risk/credentials.js';
import { DAY, T0 } from './risk-context.js';

const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

describe('remembered credentials', () => {
  it('remembers an added credential with its AAGUID, registered, without changing the input', () => {
    const before = emptyCredentials();
    const after = rememberAdded(before, 'cred-1', YUBIKEY_5, T0);
    expect(before).toEqual({ credentials: {} });
    expect(recall(after, 'cred-1')).toEqual({ aaguid: YUBIKEY_5, at: T0, registered: true });
    expect(recall(after, 'cred-2')).toBeUndefined();
    expect(hasRegistered(after)).toBe(true);
  });

  it('keys credentials by a short digest, so a long id costs 16 characters', () => {
    const id = 'x'.repeat(256);
    expect(Object.keys(rememberAdded(undefined, id, undefined, T0).credentials)).toEqual([credentialKey(id)]);
    expect(credentialKey(id)).toHaveLength(16);
  });

  it('keeps the known AAGUID when the same credential is added again without one', () => {
    const once = rememberAdded(undefined, 'cred-1', YUBIKEY_5, T0);
    const twice = rememberAdded(once, 'cred-1', undefined, T0 + DAY);
    expect(recall(twice, 'cred-1')).toEqual({ aaguid: YUBIKEY_5, at: T0 + DAY, registered: true });
  });

  it('forgets a removed credential and leaves the others', () => {
    let memory = rememberAdded(undefined, 'cred-1', YUBIKEY_5, T0);
    memory = rememberAdded(memory, 'cred-2', undefined, T0 + 1);
    memory = forget(memory, 'cred-1');
    expect(recall(memory, 'cred-1')).toBeUndefined();
    expect(recall(memory, 'cred-2')?.registered).toBe(true);
    expect(forget(forget(memory, 'cred-2'), 'never-there')).toEqual({ credentials: {} });
  });

  it('marks a use, and remembers an unknown credential as seen but not registered', () => {
    const added = rememberAdded(undefined, 'cred-1', YUBIKEY_5, T0);
    const used = rememberUsed(added, 'cred-1', T0 + DAY);
    expect(recall(used, 'cred-1')).toEqual({ aaguid: YUBIKEY_5, at: T0 + DAY, registered: true });
    const seen = rememberUsed(undefined, 'cred-9', T0);
    expect(recall(seen, 'cred-9')).toEqual({ at: T0, registered: false });
    expect(hasRegistered(seen)).toBe(false);
  });

  it('never moves a credential back in time for a late, out-of-order event', () => {
    const used = rememberUsed(rememberAdded(undefined, 'cred-1', undefined, T0 + DAY), 'cred-1', T0);
    expect(recall(used, 'cred-1')?.at).toBe(T0 + DAY);
  });

  it(`keeps the ${MAX_REMEMBERED_CREDENTIALS} most recently added or used credentials`, () => {
    let memory: CredentialMemory = emptyCredentials();
    for (let i = 0; i <= MAX_REMEMBERED_CREDENTIALS; i++)
      memory = rememberAdded(memory, `cred-${i}`, undefined, T0 + i);
    expect(Object.keys(memory.credentials)).toHaveLength(MAX_REMEMBERED_CREDENTIALS);
    expect(recall(memory, 'cred-0')).toBeUndefined();
    expect(recall(memory, `cred-${MAX_REMEMBERED_CREDENTIALS}`)).toBeDefined();
    // A use keeps an old credential over one added later.
    memory = rememberUsed(memory, 'cred-1', T0 + 1000);
    memory = rememberAdded(memory, 'cred-new', undefined, T0 + 999);
    expect(recall(memory, 'cred-1')).toBeDefined();
    expect(recall(memory, 'cred-2')).toBeUndefined();
  });

  it('drops entries that are not well formed and never reads the prototype', () => {
    const hostile = JSON.parse(
      '{"credentials":{"a":{"at":"soon","registered":true},"b":null,"__proto__":{"at":1,"registered":true}}}',
    ) as CredentialMemory;
    const memory = rememberUsed(hostile, 'cred-1', T0);
    expect(Object.keys(memory.credentials).sort()).toEqual([credentialKey('cred-1'), '__proto__'].sort());
    expect(recall({ credentials: {} }, 'constructor')).toBeUndefined();
  });
});
