import fc from 'fast-check';
import {
  formatAttempts,
  formatDevice,
  formatMethod,
  formatPlace,
  formatProduct,
  formatReasons,
  formatWhen,
} from '../../src/notify/format.js';
import { resolveLocale } from '../../src/notify/locale.js';
import { DEFAULT_TEMPLATES_DIR } from '../../src/notify/render.js';
import { clean } from '../../src/notify/sanitize.js';
import { loadTemplateSet } from '../../src/notify/templates.js';

const { catalogs } = loadTemplateSet(DEFAULT_TEMPLATES_DIR);
const en = catalogs.get('en')!;
const pt = catalogs.get('pt-BR')!;

describe('formatWhen', () => {
  test('formats in the zone, names the offset and the zone', () => {
    expect(formatWhen('2026-11-24T17:05:00Z', 'America/Sao_Paulo', 'en-GB')).toEqual({
      long: 'Tuesday, 24 November 2026, 14:05 GMT-3 (America/Sao_Paulo)',
      short: 'Tue 24 Nov, 14:05 GMT-3',
      zone: 'America/Sao_Paulo',
    });
    expect(formatWhen('2026-11-24T17:05:00Z', 'Asia/Kolkata', 'pt-BR').long).toBe(
      'terça-feira, 24 de novembro de 2026, 22:35 GMT+5:30 (Asia/Kolkata)',
    );
  });

  test('uses plain spaces only (Intl may emit narrow no-break spaces)', () => {
    expect(formatWhen('2026-11-24T17:05:00Z', 'UTC', 'en-US').long).toMatch(/^[\x20-\x7e]+$/);
  });

  test('rejects a timestamp that is not one', () => {
    expect(() => formatWhen('yesterday', 'UTC', 'en')).toThrow('occurredAt');
  });

  test('shows the same time for instants of one minute, and the right one where an offset had seconds', () => {
    const times = ['2026-11-24T17:05:00Z', '2026-11-24T17:05:31.5Z', '2026-11-24T17:05:59.999Z'];
    for (const zone of ['Asia/Kathmandu', 'Australia/Eucla', 'America/St_Johns']) {
      const shown = times.map((t) => formatWhen(t, zone, 'en-GB').long);
      expect(new Set(shown).size).toBe(1);
    }
    expect(formatWhen('2026-11-24T17:06:00Z', 'Asia/Kathmandu', 'en-GB').short).toBe(
      'Tue 24 Nov, 22:51 GMT+5:45',
    );
    // Liberia was 44 min 30 s behind UTC until 1972: one UTC minute spans two minutes on its clocks.
    expect(formatWhen('1960-01-01T12:00:20Z', 'Africa/Monrovia', 'en-GB').short).toMatch(/, 11:15 /);
    expect(formatWhen('1960-01-01T12:00:40Z', 'Africa/Monrovia', 'en-GB').short).toMatch(/, 11:16 /);
  });
});

describe('formatDevice', () => {
  test('shows browser and OS with major versions, and the hardware when known', () => {
    expect(
      formatDevice(
        { browser: 'Chrome', browser_version: '129.0.6668.90', os: 'macOS', os_version: '10.15.7' },
        en,
      ),
    ).toEqual({
      long: 'Chrome 129 on macOS',
      short: 'Chrome on macOS',
      known: true,
    });
    expect(
      formatDevice(
        {
          browser: 'Mobile Safari',
          browser_version: '17.4',
          os: 'iOS',
          os_version: '17.4.1',
          vendor: 'Apple',
          model: 'iPhone',
        },
        pt,
      ).long,
    ).toBe('Mobile Safari 17 no iOS 17 (Apple iPhone)');
  });

  test('falls back to what is known, then to "Unknown device"', () => {
    expect(formatDevice({ os: 'Windows', os_version: '10' }, en).long).toBe('Windows');
    expect(formatDevice({ vendor: 'Samsung', model: 'SM-G991B' }, en).long).toBe('Samsung SM-G991B');
    expect(formatDevice(undefined, en)).toEqual({
      long: 'Unknown device',
      short: 'Unknown device',
      known: false,
    });
  });

  test('puts a generic phrase in place of a model that is not shaped like one', () => {
    const hostile = { browser: 'Chrome', os: 'Android', model: 'see evil.example or mail a@b.co' };
    expect(formatDevice(hostile, en).long).toBe('Chrome on Android (Android phone)');
    expect(formatDevice({ ...hostile, device_type: 'tablet' }, pt).long).toBe(
      'Chrome no Android (tablet Android)',
    );
    expect(formatDevice({ ...hostile, vendor: 'Samsung' }, en).long).toBe('Chrome on Android (Samsung)');
    expect(formatDevice({ ...hostile, vendor: 'Xiaomi', model: '2201117TG' }, en).long).toBe(
      'Chrome on Android (Xiaomi)',
    );
    expect(formatDevice({ ...hostile, os: 'Windows', device_type: 'desktop' }, en).long).toBe(
      'Chrome on Windows',
    );
  });

  test('shows only vocabulary names and digit-and-dot versions with a short major', () => {
    expect(
      formatDevice({ browser: 'OPERA', browser_version: '12.10', os: 'ANDROID', os_version: '4.1' }, en).long,
    ).toBe('Opera 12 on Android 4');
    expect(
      formatDevice(
        { browser: 'Chrome', browser_version: '18005550199', os: 'Android', os_version: '14 call' },
        en,
      ).long,
    ).toBe('Chrome on Android');
    expect(formatDevice({ browser: 'Evil Browser', os: 'Call 1-800 OS' }, en).long).toBe('Unknown device');
  });
});

describe('formatPlace', () => {
  test('names the country in the reader language and keeps the city as given', () => {
    expect(formatPlace({ network: 'public', city: 'London', country_code: 'GB' }, 'en-GB', en).long).toBe(
      'near London, United Kingdom',
    );
    expect(formatPlace({ network: 'public', city: 'London', country_code: 'GB' }, 'pt-BR', pt).long).toBe(
      'perto de London, Reino Unido',
    );
  });

  test('uses the region when the city is unknown, and the country alone when that is all', () => {
    expect(formatPlace({ network: 'public', region: 'Bavaria', country_code: 'DE' }, 'en-GB', en).long).toBe(
      'near Bavaria, Germany',
    );
    expect(formatPlace({ network: 'public', country_code: 'BR' }, 'en-GB', en).long).toBe('in Brazil');
    expect(formatPlace({ network: 'public', country_code: 'BR' }, 'pt-BR', pt).long).toBe('Brasil');
  });

  test('leaves out place names that are not shaped like one', () => {
    const long = (city: string) =>
      formatPlace({ network: 'public', city, country_code: 'GB' }, 'en-GB', en).long;
    expect(long('Call 1-800-555-0199')).toBe('in United Kingdom');
    expect(long('evil。com')).toBe('in United Kingdom');
    expect(long('Lon\u202Edon')).toBe('in United Kingdom');
    expect(long('Frankfurt (Oder)')).toBe('near Frankfurt (Oder), United Kingdom');
  });

  test('falls back to the given country name for codes Intl does not know', () => {
    expect(
      formatPlace({ network: 'public', country_code: 'ZZ', country_name: 'Atlantis' }, 'en-GB', en).long,
    ).toBe('in Atlantis');
    expect(formatPlace({ network: 'public', country_code: '<script>' }, 'en-GB', en).long).toBe(
      'Unknown location',
    );
  });

  test('says so for private networks and missing geo data', () => {
    expect(formatPlace({ network: 'loopback' }, 'en-GB', en).long).toBe('A private or local network');
    expect(formatPlace(undefined, 'pt-BR', pt).long).toBe('Local desconhecido');
  });
});

describe('methods, products, reasons, counts', () => {
  test('names every method in both languages', () => {
    expect(formatMethod('security_key', en)).toBe('security key');
    expect(formatMethod('passkey', pt)).toBe('chave de acesso');
    expect(formatMethod(undefined, en)).toBe('');
    expect(formatMethod('telepathy' as never, en)).toBe('');
  });

  test('orders reasons most serious first and leaves out unexplained ones', () => {
    expect(formatReasons(['new_device', 'credential_added', 'impossible_travel'], '', en)).toEqual([
      'from a place too far away to reach since your last sign-in',
      "from a device you haven't used with this account before",
    ]);
    expect(formatReasons(['method_downgrade'], 'senha', pt)).toEqual([
      'com um método que sua conta não permite (senha)',
    ]);
    expect(formatReasons(['method_downgrade'], '', en)).toEqual([
      'with a method your account does not allow (password)',
    ]);
  });

  test('pluralises attempts and formats the number for the locale', () => {
    expect(formatAttempts(1, en)).toBe('1 failed sign-in attempt');
    expect(formatAttempts(1234, pt)).toBe('1.234 tentativas de login malsucedidas');
  });

  test('shows unknown products only when shaped like a name', () => {
    expect(formatProduct('ChatGPT', en)).toBe('ChatGPT');
    expect(formatProduct('acme-portal_2', en)).toBe('acme-portal_2');
    expect(formatProduct('x'.repeat(100), en)).toBe('OpenAI');
    expect(formatProduct('CALL 1 800 555 0199', en)).toBe('OpenAI');
    expect(formatProduct('evil dot com', en)).toBe('OpenAI');
  });
});

describe('locale resolution', () => {
  const intl = (l: string) => (l === 'en' ? 'en-GB' : l);
  test('keeps a regional Intl locale of the same language', () => {
    expect(resolveLocale('en-US', ['en', 'pt-BR'], 'en', intl)).toEqual({ template: 'en', intl: 'en-US' });
    expect(resolveLocale('pt-PT', ['en', 'pt-BR'], 'en', intl)).toEqual({ template: 'pt-BR', intl: 'pt-PT' });
    expect(resolveLocale('de', ['en', 'pt-BR'], 'en', intl)).toEqual({ template: 'en', intl: 'en-GB' });
  });

  test('matches language and script: pt-PT, es-419, fr-CA, de-AT and zh-SG find their catalog; zh-TW does not', () => {
    const all = [...catalogs.keys()];
    const chosen = (tag: string | undefined) => resolveLocale(tag, all, 'en', intl).template;
    expect(all).toHaveLength(12);
    expect(chosen('pt-PT')).toBe('pt-BR');
    expect(chosen('es-419')).toBe('es');
    expect(chosen('es-MX')).toBe('es');
    expect(chosen('fr-CA')).toBe('fr');
    expect(chosen('de-AT')).toBe('de');
    expect(chosen('zh')).toBe('zh-CN');
    expect(chosen('zh-Hans-SG')).toBe('zh-CN');
    expect(chosen('ar-EG')).toBe('ar');
    expect(chosen('ja_JP')).toBe('ja');
    // Traditional Chinese is another written language: English, not Simplified Chinese.
    expect(chosen('zh-TW')).toBe('en');
    expect(chosen('zh-HK')).toBe('en');
    expect(chosen('zh-Hant')).toBe('en');
    for (const odd of ['x-klingon', 'sr-Latn', '', undefined, 'not a tag', 'a'.repeat(40)])
      expect(chosen(odd)).toBe('en');
    expect(resolveLocale('es-MX', all, 'en', intl)).toEqual({ template: 'es', intl: 'es-MX' });
  });
});

describe('sanitising', () => {
  test('turns controls and line breaks into spaces and strips bidi and zero-width characters', () => {
    expect(clean('a\u0000b\u202Ec\u200Bd\r\ne\u2028f', 64)).toBe('a bcd e f');
    expect(clean('  x  ', 64)).toBe('x');
    expect(clean(42, 64)).toBe('');
  });

  test('caps by code point without splitting a surrogate pair', () => {
    expect(clean('😀'.repeat(10), 4)).toBe('😀😀😀…');
  });
});

describe('each device and place is formatted once per catalog', () => {
  // A catalog object of its own each call: the memos are per catalog, so this formats anew.
  const anew = <T>(format: (catalog: typeof en) => T): T => format(Object.create(en));
  const field = fc.option(
    fc.constantFrom(
      'Chrome',
      'Android',
      'iOS',
      '14',
      '129.0',
      'mobile',
      'tablet',
      'Samsung',
      'SM-G991B',
      'a","b',
      '',
    ),
    { nil: undefined },
  );
  const device = fc.record(
    {
      browser: field,
      browser_version: field,
      os: field,
      os_version: field,
      device_type: field,
      vendor: field,
      model: field,
    },
    { requiredKeys: [] },
  );
  const place = fc.record(
    {
      network: fc.constantFrom('public' as const, 'private' as const),
      country_code: fc.option(fc.constantFrom('GB', 'BR', 'fr', 'XX', 'ZZ'), { nil: undefined }),
      country_name: field,
      city: fc.option(fc.constantFrom('London', 'São Paulo', 'Paris', 'call 18005550199', ''), {
        nil: undefined,
      }),
      region: fc.option(fc.constantFrom('England', 'Île-de-France', ''), { nil: undefined }),
    },
    { requiredKeys: ['network'] },
  );

  test('every answer is the one formatting anew gives, whatever came before it', () => {
    fc.assert(
      fc.property(fc.array(device, { minLength: 1, maxLength: 30 }), (devices) => {
        for (const d of devices) expect(formatDevice(d, en)).toEqual(anew((c) => formatDevice(d, c)));
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(place, fc.constantFrom('en', 'fr', 'pt-BR')), { maxLength: 30 }),
        (places) => {
          for (const [p, intl] of places)
            expect(formatPlace(p, intl, en)).toEqual(anew((c) => formatPlace(p, intl, c)));
        },
      ),
    );
  });

  test('a repeated device or place is the same answer; another catalog or Intl locale is not', () => {
    const d = {
      browser: 'Chrome',
      browser_version: '129',
      os: 'Android',
      os_version: '14',
      device_type: 'mobile',
    };
    expect(formatDevice({ ...d }, en)).toBe(formatDevice({ ...d }, en));
    expect(formatDevice(d, pt).long).toBe('Chrome 129 no Android 14');
    expect(Object.isFrozen(formatDevice(d, en))).toBe(true);
    const p = { network: 'public' as const, city: 'Paris', country_code: 'BR' };
    expect(formatPlace({ ...p }, 'en', en)).toBe(formatPlace({ ...p }, 'en', en));
    expect(formatPlace(p, 'fr', en).long).toBe('near Paris, Brésil');
    expect(formatPlace(p, 'en', en).long).toBe('near Paris, Brazil');
  });

  test('devices and places that differ in any one field are told apart', () => {
    const d = {
      browser: 'Chrome',
      browser_version: '129',
      os: 'Android',
      os_version: '14',
      model: 'call 18005550199',
    };
    const devices = [
      d,
      { ...d, browser: 'Firefox' },
      { ...d, browser_version: '130' },
      { ...d, os: 'iOS' },
      { ...d, os_version: '15' },
      { ...d, device_type: 'tablet' },
      { ...d, vendor: 'Samsung' },
      { ...d, model: 'SM-G991B' },
    ];
    const shown = devices.map((x) => formatDevice(x, en).long);
    expect(new Set(shown).size).toBe(devices.length);
    expect(devices.map((x) => formatDevice(x, en).long)).toEqual(shown);
    const p = {
      network: 'public' as const,
      city: 'Paris',
      region: 'Texas',
      country_code: 'FR',
      country_name: 'Frankrijk',
    };
    const places: [typeof p | Record<string, string>, string][] = [
      [p, 'en'],
      [p, 'de'],
      [{ ...p, country_code: 'US' }, 'en'],
      [{ ...p, country_code: 'QZ' }, 'en'],
      [{ ...p, country_code: 'QZ', country_name: 'Francia' }, 'en'],
      [{ ...p, city: 'Lyon' }, 'en'],
      [{ ...p, city: '', region: 'Texas' }, 'en'],
      [{ ...p, city: '', region: 'Bavaria' }, 'en'],
    ];
    const where = places.map(([x, intl]) => formatPlace(x as typeof p, intl, en).long);
    expect(new Set(where).size).toBe(places.length);
    expect(places.map(([x, intl]) => formatPlace(x as typeof p, intl, en).long)).toEqual(where);
  });

  test('long outside values are formatted each time, and a full memo lets the least recently used go', () => {
    const long = { browser: 'Chrome', os: 'Android', model: `Pixel ${'9'.repeat(600)}` };
    expect(formatDevice(long, en)).not.toBe(formatDevice(long, en));
    expect(formatDevice(long, en)).toEqual(anew((c) => formatDevice(long, c)));
    // Short as given, long once escaped: the bound is on the key itself.
    const escaped = { browser: 'Chrome', model: '"'.repeat(300) };
    expect(formatDevice(escaped, en)).not.toBe(formatDevice(escaped, en));
    expect(Object.isFrozen(formatPlace(undefined, 'en', en))).toBe(true);
    expect(Object.isFrozen(formatPlace({ network: 'private' }, 'en', en))).toBe(true);
    const first = { browser: 'Firefox', browser_version: '1' };
    const kept = formatDevice(first, en);
    for (let i = 2; i < 5000; i++) formatDevice({ browser: 'Firefox', browser_version: String(i) }, en);
    expect(formatDevice(first, en)).not.toBe(kept);
    expect(formatDevice(first, en)).toEqual(kept);
  });
});
