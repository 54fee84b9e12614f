// Hostile words where a notice shows outside text: phone numbers in several notations, domains
// written to slip past filters, bidi overrides, homoglyphs and overlong words, put into every field
// that comes from a user agent, an identity provider or a geo database, and rendered through every
// template of every kind, in every locale, for every channel. None of their payload may come out.
import type { Response } from 'maxmind';
import type { Geo, Reason, Severity } from '../../src/contracts/login-alert.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { createGeoLookup } from '../../src/enrich/geo.js';
import type { MmdbSource } from '../../src/enrich/mmdb-source.js';
import {
  createRenderer,
  DEFAULT_TEMPLATES_DIR,
  NOTICE_KINDS,
  type Rendered,
  type RenderInput,
} from '../../src/notify/render.js';
import { loadTemplateSet } from '../../src/notify/templates.js';

const renderer = createRenderer();
const CATALOGS = loadTemplateSet(DEFAULT_TEMPLATES_DIR).catalogs;
const LOCALES = [...CATALOGS.keys()];
const RTL = new Set(LOCALES.filter((l) => CATALOGS.get(l)?.dir === 'rtl'));
// No digits in the links, so a digit found in a notice came from somewhere else.
const REPORT = 'https://alerts.example.com/r/token';
const SETTINGS = 'https://chatgpt.com/#settings/Security';

const LONG_WORD = 'Pneumonoultramicroscopicsilicovolcanoconiosisxylophonequartz';

/** One hostile text and what of it must never be seen (checked on the NFKC form, any case). */
interface Payload {
  text: string;
  marks: string[];
}

// What makes a number dialable: the exchange and the line. A lone area code ("800") is not a
// number, and a version may show one as its major ("800.555.0199" → 800).
const PHONE_MARKS = ['555', '0199'];
const PAYLOADS: Payload[] = [
  { text: 'CALL 18005550199 NOW', marks: [...PHONE_MARKS, 'call'] },
  { text: '+1 (800) 555-0199', marks: PHONE_MARKS },
  { text: '800.555.0199', marks: PHONE_MARKS },
  { text: '1-800-555-0199', marks: PHONE_MARKS },
  { text: 'Call 1-800-555-0199', marks: [...PHONE_MARKS, 'call'] },
  { text: '８００５５５０１９９', marks: PHONE_MARKS },
  { text: 'Help desk 800 555 0199', marks: [...PHONE_MARKS, 'help desk'] },
  { text: 'evil[.]com', marks: ['evil'] },
  { text: 'evil。com', marks: ['evil'] },
  { text: 'evil．com', marks: ['evil'] },
  { text: 'evil(.)com', marks: ['evil'] },
  { text: 'evil dot com', marks: ['evil'] },
  { text: 'Visit evil dot com now', marks: ['evil', 'visit'] },
  { text: 'раypal.com', marks: ['раypal', 'paypal'] },
  { text: 'раypal', marks: ['раypal'] },
  { text: 'xn--pypal-4ve.com', marks: ['xn--', 'pypal'] },
  { text: 'https://evil.example/reset', marks: ['evil', 'reset'] },
  { text: 'support@evil.example', marks: ['evil', 'support'] },
  { text: '\u202Emoc.live', marks: ['moc.live', 'moc'] },
  { text: 'Lon\u202Edon', marks: ['london'] },
  { text: `${LONG_WORD}`, marks: [LONG_WORD.slice(0, 20).toLowerCase()] },
  { text: `Galaxy ${LONG_WORD}`, marks: [LONG_WORD.slice(0, 20).toLowerCase()] },
];

const base: RenderInput = {
  kind: 'new_login',
  locale: 'en',
  timeZone: 'UTC',
  occurredAt: '2026-11-24T17:05:00Z',
  product: 'chatgpt',
  method: 'passkey',
  device: {
    browser: 'Chrome',
    browser_version: '126',
    os: 'Android',
    os_version: '14',
    device_type: 'mobile',
  },
  geo: { network: 'public', city: 'Paris', country_code: 'FR' },
  severity: 'critical',
  reasons: ['new_device', 'new_city', 'impossible_travel', 'failure_burst'] as Reason[],
  failureCount: 3,
  authenticator: 'YubiKey 5 Series',
  change: 'credential.added',
  reportUrl: REPORT,
  settingsUrl: SETTINGS,
};

/** Every part of every channel, links taken out, folded so fullwidth and case hide nothing. */
function outputs(out: Rendered): [string, string][] {
  const parts: [string, string][] = [
    ['subject', out.email.subject],
    ['html', decodeEntities(out.email.html)],
    ['text', out.email.text],
    ['sms', out.sms],
    ['push-title', out.push.title],
    ['push-body', out.push.body],
  ];
  return parts.map(([name, text]) => [
    name,
    text.replaceAll(REPORT, '').replaceAll(SETTINGS, '').normalize('NFKC').toLowerCase(),
  ]);
}

function decodeEntities(html: string): string {
  return html
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** Renders an input as every kind, in every locale, and lists each payload mark found in any part. */
function leaks(input: RenderInput, marks: string[], where: string): string[] {
  const found: string[] = [];
  for (const kind of NOTICE_KINDS) {
    for (const locale of LOCALES) {
      // Severity changes only the catalog's words around the values: both for the source locale.
      for (const severity of (locale === 'en' ? ['info', 'critical'] : ['critical']) as Severity[]) {
        const out = renderer.render({ ...input, kind, locale, severity });
        for (const [part, text] of outputs(out)) {
          for (const mark of marks) {
            if (text.includes(mark.normalize('NFKC').toLowerCase()))
              found.push(`${where} → ${kind}/${locale}/${severity}/${part} shows ${JSON.stringify(mark)}`);
          }
          if (bidiProblem(text, RTL.has(locale)))
            found.push(`${where} → ${kind}/${locale}/${part} has a bidi control`);
        }
      }
    }
  }
  return found;
}

/**
 * Outside text never brings a bidi control. A right-to-left catalog adds first-strong isolates
 * (U+2068 … U+2069) around values, and only those, balanced.
 */
function bidiProblem(text: string, rtl: boolean): boolean {
  if (/[\u202A-\u202E\u2066\u2067\u200E\u200F]/.test(text)) return true;
  if (!rtl) return /[\u2068\u2069]/.test(text);
  let depth = 0;
  for (const ch of text) {
    if (ch === '\u2068') depth++;
    else if (ch === '\u2069' && --depth < 0) return true;
  }
  return depth !== 0;
}

// Every field of an alert that holds outside text, and how to put a payload into it.
const FIELDS: [string, (text: string) => Partial<RenderInput>][] = [
  ['device.browser', (text) => ({ device: { ...base.device, browser: text } })],
  ['device.os', (text) => ({ device: { ...base.device, os: text } })],
  ['device.vendor', (text) => ({ device: { ...base.device, vendor: text, model: 'SM-G991B' } })],
  ['device.model', (text) => ({ device: { ...base.device, model: text } })],
  [
    'device.model (tablet, vendor)',
    (text) => ({ device: { ...base.device, vendor: 'Samsung', model: text, device_type: 'tablet' } }),
  ],
  ['device.browser_version', (text) => ({ device: { ...base.device, browser_version: text } })],
  ['device.os_version', (text) => ({ device: { ...base.device, os_version: text } })],
  ['device (model only)', (text) => ({ device: { model: text } })],
  ['geo.city', (text) => ({ geo: { network: 'public', city: text, country_code: 'GB' } })],
  ['geo.region', (text) => ({ geo: { network: 'public', region: text, country_code: 'GB' } })],
  ['geo.country_name', (text) => ({ geo: { network: 'public', city: 'Paris', country_name: text } })],
  [
    'geo.country_name (unknown code)',
    (text) => ({ geo: { network: 'public', country_code: 'ZZ', country_name: text } }),
  ],
  ['product', (text) => ({ product: text })],
  ['authenticator', (text) => ({ authenticator: text })],
];

describe('hostile text in the fields of an alert', () => {
  it.each(FIELDS.map(([name, put]) => [name, put] as const))('reaches no channel through %s', (name, put) => {
    const found: string[] = [];
    for (const payload of PAYLOADS) {
      found.push(
        ...leaks({ ...base, ...put(payload.text) }, payload.marks, `${name}=${JSON.stringify(payload.text)}`),
      );
      // The payload in digits and dots only, where a version goes, must not show either.
      const digits = payload.text.normalize('NFKC').replace(/[^\d.]/g, '');
      if (digits.length > 0)
        found.push(...leaks({ ...base, ...put(digits) }, payload.marks, `${name}=${digits}`));
    }
    expect(found.slice(0, 10)).toEqual([]);
  });
});

describe('hostile user agents, parsed for real', () => {
  const parser = createDeviceParser();
  const android = (model: string) =>
    `Mozilla/5.0 (Linux; Android 14; ${model} Build/UQ1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36`;
  const ISSUE_UA = android('CALL 18005550199 NOW');

  it('the user agent of the report says "Chrome 126 on Android 14 (Android phone)" and no digits of its number', () => {
    const device = parser.parse(ISSUE_UA);
    const number = '18005550199';
    // Every run of three or more of the number's digits, in any notation.
    const runs = new Set<string>();
    for (let i = 0; i < number.length; i++)
      for (let j = i + 3; j <= number.length; j++) runs.add(number.slice(i, j));
    expect(leaks({ ...base, device }, [...runs], 'issue UA')).toEqual([]);
    const lines: Record<string, string> = {
      en: 'Chrome 126 on Android 14 (Android phone)',
      'pt-BR': 'Chrome 126 no Android 14 (celular Android)',
      ja: 'Chrome 126 (Android 14) (Android スマートフォン)',
      ar: '\u2068Chrome 126\u2069 على \u2068Android 14\u2069 (هاتف \u2068Android\u2069)',
    };
    for (const locale of LOCALES) {
      const out = renderer.render({ ...base, device, locale, kind: 'failed_attempts' });
      const line = lines[locale] ?? 'Chrome 126';
      expect(out.email.text).toContain(line);
      expect(decodeEntities(out.email.html)).toContain(line);
    }
  });

  it.each(PAYLOADS.map((p) => [p.text, p] as const))(
    'a model of %j is left out, whatever maker it claims',
    (_, payload) => {
      const found: string[] = [];
      for (const model of [
        payload.text,
        `SAMSUNG ${payload.text}`,
        `Redmi ${payload.text}`,
        `HUAWEI ${payload.text}`,
        `moto ${payload.text}`,
      ]) {
        const device = parser.parse(android(model));
        expect(device.os).toBe('Android');
        found.push(...leaks({ ...base, device }, payload.marks, `UA model ${JSON.stringify(model)}`));
      }
      expect(found.slice(0, 10)).toEqual([]);
    },
  );

  it('real models still show', () => {
    const cases: [string, string][] = [
      ['SM-G991B', 'Samsung SM-G991B'],
      ['Pixel 8 Pro', 'Pixel 8 Pro'],
      ['M2101K6G', 'Xiaomi M2101K6G'],
      ['moto g(7) power', 'Motorola moto g(7) power'],
      ['Redmi Note 9 Pro', 'Xiaomi Redmi Note 9 Pro'],
    ];
    for (const [model, shown] of cases) {
      const out = renderer.render({ ...base, device: parser.parse(android(model)) });
      expect(out.email.text).toContain(`Device: Chrome 126 on Android 14 (${shown})`);
    }
  });
});

describe('hostile place names, through the geo lookup', () => {
  // A database that answers every address with one record: the names are what is on trial.
  const source = (record: object, ipVersion: 4 | 6 = 6): MmdbSource<Response> => ({
    path: 'hostile.mmdb',
    metadata: () => ({ ipVersion }) as ReturnType<MmdbSource<Response>['metadata']>,
    get: () => record as Response,
    close: () => undefined,
  });
  const geoOf = (record: object): Geo => createGeoLookup([source(record)]).lookup('81.2.69.160');

  it.each(PAYLOADS.map((p) => [p.text, p] as const))(
    'a city, region or country named %j never shows',
    (_, payload) => {
      const records = [
        // GeoIP2 / GeoLite2 shape
        {
          city: { names: { en: payload.text } },
          country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
        },
        { subdivisions: [{ names: { en: payload.text } }], country: { iso_code: 'GB', names: { en: 'x' } } },
        { country: { iso_code: 'QZ', names: { en: payload.text } } },
        // DB-IP Lite's flat shape
        { country_code: 'GB', city: payload.text, state1: 'England' },
        { country_code: 'GB', state1: payload.text },
      ];
      const found: string[] = [];
      for (const record of records) {
        const geo = geoOf(record);
        found.push(...leaks({ ...base, geo }, payload.marks, `geo ${JSON.stringify(record)}`));
      }
      expect(found.slice(0, 10)).toEqual([]);
    },
  );

  it('a city of "Call 1-800-555-0199" leaves the country, and a real city shows', () => {
    const hostile = geoOf({ country_code: 'GB', city: 'Call 1-800-555-0199' });
    expect(renderer.render({ ...base, geo: hostile }).email.text).toContain('Where: in United Kingdom');
    const real = geoOf({ country_code: 'FR', city: 'Saint-Rémy-de-Provence' });
    expect(renderer.render({ ...base, geo: real }).email.text).toContain(
      'near Saint-Rémy-de-Provence, France',
    );
  });
});
