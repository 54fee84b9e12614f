import { LoginAlertSchema } from '../../src/contracts/login-alert.js';
import {
  authenticators,
  createAuthenticatorNames,
  loadPackagedList,
  MAX_AUTHENTICATOR_NAME,
  normalAaguid,
} from '../../src/enrich/authenticators.js';

const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const APPLE = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd';

describe('authenticator names from the packaged AAGUID list', () => {
  it('names a known AAGUID, in any case', () => {
    expect(authenticators.nameOf(YUBIKEY_5)).toBe('YubiKey 5 Series');
    expect(authenticators.nameOf(YUBIKEY_5.toUpperCase())).toBe('YubiKey 5 Series');
    expect(authenticators.nameOf(APPLE)).toMatch(/^(iCloud Keychain|Apple Passwords)$/);
  });

  it('names nothing for an unknown AAGUID or the all-zero one', () => {
    expect(authenticators.nameOf('01234567-89ab-cdef-0123-456789abcdef')).toBeUndefined();
    expect(authenticators.nameOf('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it.each([
    ['a word', 'yubikey'],
    ['an empty string', ''],
    ['no dashes', 'cb69481e8ff7403993ec0a2729a154a8'],
    ['a trailing character', `${YUBIKEY_5}x`],
    ['braces', `{${YUBIKEY_5}}`],
    ['a non-hex digit', 'cb69481e-8ff7-4039-93ec-0a2729a154ag'],
    ['a prototype key', '__proto__'],
    ['a number', 42],
    ['null', null],
    ['an object', { toString: () => YUBIKEY_5 }],
  ])('names nothing for a malformed AAGUID: %s', (_, value) => {
    expect(authenticators.nameOf(value)).toBeUndefined();
  });

  it('holds only well-formed, printable names from a list with every entry canonical', () => {
    const raw = loadPackagedList() as Record<string, unknown>;
    const entries = Object.entries(raw);
    expect(entries.length).toBeGreaterThan(100);
    for (const [aaguid, name] of entries.slice(0, 50)) {
      expect(normalAaguid(aaguid)).toBe(aaguid);
      expect(typeof name).toBe('string');
    }
  });
});

describe('createAuthenticatorNames', () => {
  it('reads the list on the first lookup only, and once', () => {
    let loads = 0;
    const names = createAuthenticatorNames(() => {
      loads++;
      return { [YUBIKEY_5]: 'YubiKey 5 Series' };
    });
    expect(loads).toBe(0);
    expect(names.nameOf('not an aaguid')).toBeUndefined();
    expect(loads).toBe(0);
    expect(names.nameOf(YUBIKEY_5)).toBe('YubiKey 5 Series');
    expect(names.nameOf(APPLE)).toBeUndefined();
    expect(loads).toBe(1);
  });

  it('keeps only AAGUID keys with printable names, cleaned to one short line', () => {
    const long = 'K'.repeat(200);
    const names = createAuthenticatorNames(() => ({
      [YUBIKEY_5.toUpperCase()]: 'Key\u202e\n  One',
      [APPLE]: long,
      '11111111-2222-3333-4444-555555555555': 7,
      '22222222-3333-4444-5555-666666666666': '\u200b',
      'not-an-aaguid': 'Ignored',
    }));
    expect(names.nameOf(YUBIKEY_5)).toBe('Key One');
    expect(names.nameOf(APPLE)).toHaveLength(MAX_AUTHENTICATOR_NAME);
    expect(names.nameOf('11111111-2222-3333-4444-555555555555')).toBeUndefined();
    expect(names.nameOf('22222222-3333-4444-5555-666666666666')).toBeUndefined();
  });

  it('keeps a long name of characters outside the BMP valid for the LoginAlert contract', () => {
    const names = createAuthenticatorNames(() => ({ [YUBIKEY_5]: '\u{1F511}'.repeat(100) }));
    const name = names.nameOf(YUBIKEY_5) as string;
    expect(Array.from(name)).toHaveLength(MAX_AUTHENTICATOR_NAME);
    expect(LoginAlertSchema.shape.authenticator.safeParse(name).success).toBe(true);
  });

  it('names nothing when the list is not an object', () => {
    for (const raw of [null, [], 'text', 3]) {
      expect(createAuthenticatorNames(() => raw).nameOf(YUBIKEY_5)).toBeUndefined();
    }
  });
});
