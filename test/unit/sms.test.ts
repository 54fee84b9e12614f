import fc from 'fast-check';
import { fitSms, isGsm, smsSegments, toGsm } from '../../src/notify/sms.js';

describe('smsSegments', () => {
  test('counts GSM-7 text in one segment up to 160 characters, then 153 per part', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
  });

  test('counts extension characters as two septets and never splits an escape pair', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('€'.repeat(81)).segments).toBe(2);
    expect(smsSegments('[]{}^~|\\').units).toBe(16);
    // 306 septets would fit two parts, but the € pair cannot straddle the boundary after 152.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments).toBe(3);
  });

  test('treats GSM-7 accented letters as GSM-7 and others as UCS-2', () => {
    expect(smsSegments('Zürich Linköping Ñandu à é').encoding).toBe('GSM-7');
    expect(smsSegments('São Paulo').encoding).toBe('UCS-2');
    expect(smsSegments('北京').encoding).toBe('UCS-2');
    expect(smsSegments('ç').encoding).toBe('UCS-2');
  });

  test('counts UCS-2 in UTF-16 units: 70 in one segment, 67 per part, surrogate pairs kept whole', () => {
    expect(smsSegments('ã'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments('ã'.repeat(71)).segments).toBe(2);
    expect(smsSegments('ã'.repeat(134)).segments).toBe(2);
    expect(smsSegments('ã'.repeat(135)).segments).toBe(3);
    expect(smsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments(`${'ã'.repeat(66)}😀${'ã'.repeat(66)}`).segments).toBe(3);
  });

  test('reports an empty text as zero segments', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });
});

describe('toGsm', () => {
  test('transliterates letters GSM-7 lacks and keeps the ones it has', () => {
    expect(toGsm('São Paulo')).toBe('Sao Paulo');
    expect(toGsm('Reykjavík')).toBe('Reykjavik');
    expect(toGsm('Zürich')).toBe('Zürich');
    expect(toGsm('configurações de segurança')).toBe('configuracoes de seguranca');
    expect(toGsm('Côte d’Ivoire … – ok')).toBe("Cote d'Ivoire ... - ok");
  });

  test('folds only what lies between GSM-7 runs, the same on every call', () => {
    for (let i = 0; i < 3; i++) {
      expect(toGsm('ãb“c”d ã')).toBe('ab"c"d a');
      expect(toGsm('plain GSM-7 {text} €')).toBe('plain GSM-7 {text} €');
      expect(toGsm('a\u00a0b\u2003c')).toBe('a b c');
      expect(toGsm('ok 北京')).toBeUndefined();
    }
  });

  test('returns undefined for scripts with no GSM-7 form', () => {
    expect(toGsm('北京')).toBeUndefined();
    expect(toGsm('Москва')).toBeUndefined();
    expect(toGsm('القاهرة')).toBeUndefined();
    expect(toGsm('City 🏙')).toBeUndefined();
  });

  test('any output it gives is pure GSM-7', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const out = toGsm(s);
        return out === undefined || Array.from(out).every(isGsm);
      }),
    );
  });
});

describe('fitSms', () => {
  const long = `${'x'.repeat(150)} São Paulo`;
  test('keeps the richest candidate that fits one segment', () => {
    expect(fitSms(['rich text', 'poor'], 2)).toBe('rich text');
  });

  test('folds to GSM-7 when that saves a segment, before dropping detail', () => {
    expect(fitSms([long, 'short'], 2)).toBe(`${'x'.repeat(150)} Sao Paulo`);
  });

  test('drops to a poorer candidate before spending a second segment', () => {
    expect(fitSms(['y'.repeat(170), 'y'.repeat(100)], 2)).toBe('y'.repeat(100));
  });

  test('never returns more than the allowed segments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 600 }), { minLength: 1, maxLength: 4 }),
        (list) => {
          const out = fitSms(list, 2);
          return smsSegments(out).segments <= 2;
        },
      ),
    );
  });
});
