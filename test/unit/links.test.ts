import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { AppError } from '../../src/errors.js';
import { type LinkClaims, reportUrl, signLink, verifyLink } from '../../src/notify/links.js';
import { codeOf } from '../support/app-error.js';

const SECRET = 'test-secret-0123456789abcdef';
const NOW = Date.parse('2026-11-24T17:05:00Z');
const claims: LinkClaims = {
  alertId: 'a3f1c9e0b7d24f6a8c5e1b2d3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6',
  accountId: 'user-01HZX4K9Q2',
  expiresAt: Math.floor(NOW / 1000) + 7 * 86400,
  locale: 'pt-BR',
};

// Changes one character of a token part into another base64url character.
function flip(text: string, index: number): string {
  const ch = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + ch + text.slice(index + 1);
}

describe('signed report links', () => {
  test('round-trips the claims', () => {
    const token = signLink(claims, SECRET);
    expect(verifyLink(token, SECRET, NOW)).toEqual(claims);
    const noLocale = { alertId: 'alert-1', accountId: 'acct-ü', expiresAt: claims.expiresAt };
    expect(verifyLink(signLink(noLocale, SECRET), SECRET, NOW)).toEqual(noLocale);
  });

  test('is URL-safe and short for a 64-hex alert id', () => {
    const token = signLink(claims, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(130);
  });

  test('reveals neither the account id nor the alert id, in any encoding', () => {
    const ids = [claims.accountId, claims.alertId, 'user@example.com', 'acct-0000-readable'];
    for (const accountId of ids) {
      const token = signLink({ ...claims, accountId }, SECRET);
      const bytes = Buffer.concat(token.split('.').map((part) => Buffer.from(part, 'base64url')));
      for (const id of [accountId, claims.alertId]) {
        const needles = [
          Buffer.from(id, 'utf8'),
          ...(/^[0-9a-f]+$/.test(id) ? [Buffer.from(id, 'hex')] : []),
        ];
        for (const needle of needles) {
          // Every 8-byte window of the id, so no fragment of it is left readable either.
          for (let i = 0; i + 8 <= needle.length; i++)
            expect(bytes.includes(needle.subarray(i, i + 8))).toBe(false);
          // Its base64 at each of the three alignments, in the token text itself.
          for (const pad of [0, 1, 2]) {
            const b64 = Buffer.concat([Buffer.alloc(pad), needle])
              .toString('base64url')
              .slice(4, -4);
            if (b64.length >= 8) expect(token.includes(b64)).toBe(false);
          }
        }
        expect(token).not.toContain(id);
      }
    }
    // Two links of one account share nothing readable: the same claims give the same token only.
    const a = signLink(claims, SECRET);
    expect(signLink(claims, SECRET)).toBe(a);
    expect(signLink({ ...claims, alertId: 'b'.repeat(64) }, SECRET).slice(0, 20)).not.toBe(a.slice(0, 20));
  });

  test('keeps ids of the longest allowed size', () => {
    const big = { alertId: 'é'.repeat(128), accountId: '字'.repeat(128), expiresAt: claims.expiresAt };
    expect(verifyLink(signLink(big, SECRET), SECRET, NOW)).toEqual(big);
  });

  test('rejects a changed payload or mac as LINK_INVALID', () => {
    const token = signLink(claims, SECRET);
    const [payload, mac] = token.split('.') as [string, string];
    for (let i = 0; i < payload.length; i++) {
      expect(codeOf(() => verifyLink(`${flip(payload, i)}.${mac}`, SECRET, NOW))).toBe('LINK_INVALID');
    }
    for (let i = 0; i < mac.length; i++) {
      expect(codeOf(() => verifyLink(`${payload}.${flip(mac, i)}`, SECRET, NOW))).toBe('LINK_INVALID');
    }
  });

  test('rejects a link signed for another account', () => {
    const mine = signLink(claims, SECRET).split('.')[1];
    const theirs = signLink({ ...claims, accountId: 'someone-else' }, SECRET).split('.')[0];
    expect(codeOf(() => verifyLink(`${theirs}.${mine}`, SECRET, NOW))).toBe('LINK_INVALID');
  });

  test('rejects a link signed with another secret as LINK_INVALID', () => {
    const token = signLink(claims, 'another-secret-0123456789');
    expect(codeOf(() => verifyLink(token, SECRET, NOW))).toBe('LINK_INVALID');
  });

  test('rejects an expired link as LINK_EXPIRED, and a forged expired one as LINK_INVALID', () => {
    const token = signLink(claims, SECRET);
    expect(codeOf(() => verifyLink(token, SECRET, claims.expiresAt * 1000))).toBe('LINK_EXPIRED');
    expect(verifyLink(token, SECRET, claims.expiresAt * 1000 - 1)).toEqual(claims);
    const forged = signLink({ ...claims, expiresAt: 1 }, 'another-secret-0123456789');
    expect(codeOf(() => verifyLink(forged, SECRET, NOW))).toBe('LINK_INVALID');
  });

  test('rejects malformed tokens as LINK_INVALID', () => {
    for (const bad of [
      '',
      '.',
      'abc',
      'a.b',
      `${'A'.repeat(3000)}.${'A'.repeat(22)}`,
      'AAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
      '%%.%%',
    ]) {
      expect(codeOf(() => verifyLink(bad, SECRET, NOW))).toBe('LINK_INVALID');
    }
  });

  test('any string as a token fails only with an AppError', () => {
    const token = signLink(claims, SECRET);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.stringMatching(/^[A-Za-z0-9_-]{0,160}\.[A-Za-z0-9_-]{0,30}$/),
          fc.nat(token.length - 1).map((i) => flip(token, i)),
        ),
        (t) => {
          try {
            verifyLink(t, SECRET, NOW);
            return t === token;
          } catch (err) {
            return err instanceof AppError && (err.code === 'LINK_INVALID' || err.code === 'LINK_EXPIRED');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('refuses to sign out-of-range claims', () => {
    expect(codeOf(() => signLink({ ...claims, alertId: '' }, SECRET))).toBe('INTERNAL');
    expect(codeOf(() => signLink({ ...claims, accountId: 'x'.repeat(129) }, SECRET))).toBe('INTERNAL');
    expect(codeOf(() => signLink({ ...claims, expiresAt: 1.5 }, SECRET))).toBe('INTERNAL');
    expect(codeOf(() => signLink(claims, 'short'))).toBe('BAD_CONFIG');
  });

  test('builds the report URL under /r/', () => {
    expect(reportUrl('https://alerts.example.com/', 'tok.en')).toBe('https://alerts.example.com/r/tok.en');
    expect(reportUrl('https://example.com/base', 'x')).toBe('https://example.com/base/r/x');
  });
});

describe('the token format', () => {
  // Tokens made by the first release of this format (v2): links already sent must stay what they were.
  test('is byte for byte what v2 tokens have been', () => {
    const vectors: [LinkClaims, string][] = [
      [
        { ...claims, expiresAt: 1764608700 },
        'AqviG53_HJ8TaCBWcPDS4lYghpD-etEw7B9ddnwZp_qjYHl6bwHRFi5LRy8t_J4V2tl4I7YsUXfMtGk6IOFhYNKZcG1blM_E7HlXJcB6.oXLrUBKLAbj5SzpsUee4DQ',
      ],
      [
        { alertId: 'alert-1', accountId: 'acct-ü\ud800漢', expiresAt: 0 },
        'AiGIntYVSYmaXVPKxkAqVKjCKwlojfEyslgZyUiUbEtexrWz8gvWd9TKuDMA_A.L-Y3BXcv9u40Q_8ieM9naw',
      ],
      [
        { alertId: 'ab', accountId: 'cd', expiresAt: 4294967295, locale: '' },
        'AoiwZwS28GmAbAzAmxHMBi03EP4ToBqaFjZ2hQ.ZBeQTLUBtTHzb3xL9wLSkg',
      ],
    ];
    for (const [c, token] of vectors) {
      expect(signLink(c, SECRET)).toBe(token);
      // A lone surrogate is written as U+FFFD, so it reads back as one.
      const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
      expect(verifyLink(token, SECRET, -1)).toEqual({
        ...c,
        accountId: utf8(c.accountId),
        locale: c.locale || undefined,
      });
    }
  });

  // The layout links.ts describes: version 2, a nonce that is the first 12
  // bytes of an HMAC of the plaintext, then the plaintext (expiry, then each string as tag, length,
  // bytes) sealed with AES-256-GCM under the label and version as additional data.
  test('holds any claims as described', () => {
    const key = (info: string) => Buffer.from(hkdfSync('sha256', SECRET, Buffer.alloc(0), info, 32));
    const seal = key('login-alerts/report-link/v2 aes-256-gcm key');
    const nonceKey = key('login-alerts/report-link/v2 synthetic nonce key');
    const field = (value: string) => {
      const hex = value.length > 0 && value.length % 2 === 0 && /^[0-9a-f]+$/.test(value);
      const bytes = Buffer.from(value, hex ? 'hex' : 'utf8');
      const head = Buffer.alloc(3);
      head.writeUInt8(hex ? 1 : 0, 0);
      head.writeUInt16BE(bytes.length, 1);
      return Buffer.concat([head, bytes]);
    };
    // Any code point, lone surrogates too, up to the longest allowed (in UTF-16 units).
    const unit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    const text = (min: number, max: number) =>
      fc
        .array(unit, { minLength: min, maxLength: max, size: 'max' })
        .map((units) => units.join(''))
        .filter((t) => t.length >= min && t.length <= max);
    const id = fc.oneof(fc.stringMatching(/^(?:[0-9a-f]{2}){1,64}$/, { size: 'max' }), text(1, 128));
    fc.assert(
      fc.property(
        id,
        id,
        fc.option(text(0, 35), { nil: undefined }),
        fc.nat(0xffffffff),
        (alertId, accountId, locale, expiresAt) => {
          const token = signLink({ alertId, accountId, expiresAt, locale }, SECRET);
          const [body, tag] = token.split('.').map((part) => Buffer.from(part as string, 'base64url'));
          const expiry = Buffer.alloc(4);
          expiry.writeUInt32BE(expiresAt);
          const plain = Buffer.concat([expiry, field(alertId), field(accountId), field(locale ?? '')]);
          expect(body?.[0]).toBe(2);
          const nonce = body?.subarray(1, 13) as Buffer;
          expect(nonce).toEqual(createHmac('sha256', nonceKey).update(plain).digest().subarray(0, 12));
          const decipher = createDecipheriv('aes-256-gcm', seal, nonce, { authTagLength: 16 });
          decipher.setAAD(Buffer.from('login-alerts/report-link/v2\0\x02', 'latin1'));
          decipher.setAuthTag(tag as Buffer);
          expect(Buffer.concat([decipher.update(body?.subarray(13) as Buffer), decipher.final()])).toEqual(
            plain,
          );
        },
      ),
    );
  });
});
