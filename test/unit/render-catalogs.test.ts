// The message catalogs (templates/messages/<locale>.json): complete against English, no placeholder
// English does not have, every plural with `other` and every category the locale's plural rules use,
// and formatted exactly as intl-messageformat formats the same message.
import IntlMessageFormat from 'intl-messageformat';
import { type Catalog, catalogProblems, compileCatalog, type Element } from '../../src/notify/catalog.js';
import { formatAttempts } from '../../src/notify/format.js';
import { DEFAULT_TEMPLATES_DIR } from '../../src/notify/render.js';
import { loadTemplateSet } from '../../src/notify/templates.js';
import { codeOf } from '../support/app-error.js';

const { catalogs } = loadTemplateSet(DEFAULT_TEMPLATES_DIR);
const en = catalogs.get('en') as Catalog;

/** A catalog from plain messages, as a locale file would hold them. */
function catalog(locale: string, intl: string, messages: Record<string, string>): Catalog {
  return compileCatalog(locale, { intl, dir: 'ltr', messages });
}

describe('the shipped catalogs', () => {
  test('are twelve, complete against English, and use only its placeholders and full plurals', () => {
    expect([...catalogs.keys()].sort()).toEqual(
      ['ar', 'de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'pt-BR', 'ru', 'zh-CN'].sort(),
    );
    expect(catalogProblems(catalogs, 'en')).toEqual([]);
  });

  test('only Arabic is written right to left', () => {
    expect([...catalogs.values()].filter((c) => c.dir === 'rtl').map((c) => c.locale)).toEqual(['ar']);
  });

  // Every placeholder gets a value; each select is tried with each of its keys, each plural with
  // numbers that reach every CLDR category (Arabic: 0, 1, 2, 3–10, 11–99, 100+).
  test.each([...catalogs.keys()])('%s formats every message as intl-messageformat does', (locale) => {
    const cat = catalogs.get(locale) as Catalog;
    for (const key of cat.keys) {
      const reference = new IntlMessageFormat(cat.ast(key) as never, cat.intl);
      for (const values of samples(cat.ast(key))) {
        expect([key, cat.text(key, values)]).toEqual([key, reference.format(values)]);
      }
    }
  });
});

describe('a catalog that is incomplete or unsafe is refused', () => {
  const source = catalog('en', 'en', {
    greeting: 'New sign-in to {product}',
    count: '{n, plural, one {# attempt} other {# attempts}}',
  });
  const check = (other: Catalog) =>
    catalogProblems(
      new Map([
        ['en', source],
        [other.locale, other],
      ]),
      'en',
    );

  test('a locale that lacks a key', () => {
    const de = catalog('de', 'de', { greeting: 'Neue Anmeldung bei {product}' });
    expect(check(de)).toEqual(['de: lacks count']);
  });

  test('a locale with a key the source does not have', () => {
    const de = catalog('de', 'de', {
      greeting: 'Neue Anmeldung bei {product}',
      count: '{n, plural, one {# Versuch} other {# Versuche}}',
      extra: 'Hallo',
    });
    expect(check(de)).toEqual(['de: has extra, which en does not']);
  });

  test('a placeholder the source does not use (a translation cannot show a value English never shows)', () => {
    const de = catalog('de', 'de', {
      greeting: 'Neue Anmeldung bei {product} von {ip}',
      count: '{n, plural, one {# Versuch} other {# Versuche}}',
    });
    expect(check(de)).toEqual(['de: greeting uses {ip}, which en does not']);
  });

  test('a plural without "other" stops loading with BAD_CONFIG', () => {
    expect(codeOf(() => catalog('de', 'de', { count: '{n, plural, one {# Versuch}}' }))).toBe('BAD_CONFIG');
  });

  test('a plural without a category the locale uses (Russian "few" and "many")', () => {
    const ru = catalog('ru', 'ru', {
      greeting: 'Новый вход в {product}',
      count: '{n, plural, one {# попытка} other {# попытки}}',
    });
    expect(check(ru)).toEqual([
      'ru: count has a plural without "few"',
      'ru: count has a plural without "many"',
    ]);
  });

  test('a message that is not ICU, or formats a date or a number itself, stops loading with BAD_CONFIG', () => {
    for (const bad of ['Hello {name', '{when, date, short}', '{n, number}', '{n, plural, one {#}}'])
      expect([bad, codeOf(() => catalog('en', 'en', { key: bad }))]).toEqual([bad, 'BAD_CONFIG']);
  });

  test('a value left out throws instead of printing nothing', () => {
    expect(codeOf(() => source.text('greeting'))).toBe('INTERNAL');
    expect(codeOf(() => source.text('greeting', { product: undefined as never }))).toBe('INTERNAL');
  });
});

describe('plurals follow CLDR', () => {
  const ru = catalogs.get('ru') as Catalog;
  const ar = catalogs.get('ar') as Catalog;
  test('Russian: one, few, many', () => {
    expect([1, 2, 5, 21, 22, 25, 111].map((n) => formatAttempts(n, ru))).toEqual([
      '1 неудачная попытка входа',
      '2 неудачные попытки входа',
      '5 неудачных попыток входа',
      '21 неудачная попытка входа',
      '22 неудачные попытки входа',
      '25 неудачных попыток входа',
      '111 неудачных попыток входа',
    ]);
  });

  test('Arabic: one, two, few, many, other', () => {
    expect([1, 2, 3, 11, 100].map((n) => formatAttempts(n, ar))).toEqual([
      'محاولة تسجيل دخول فاشلة واحدة',
      'محاولتا تسجيل دخول فاشلتان',
      `${(3).toLocaleString('ar')} محاولات تسجيل دخول فاشلة`,
      `${(11).toLocaleString('ar')} محاولة تسجيل دخول فاشلة`,
      `${(100).toLocaleString('ar')} محاولة تسجيل دخول فاشلة`,
    ]);
  });

  test('English and Japanese: the number formatted for the locale', () => {
    expect(formatAttempts(1234, en)).toBe('1,234 failed sign-in attempts');
    expect(formatAttempts(1234, catalogs.get('ja') as Catalog)).toBe('1,234 回のサインイン失敗');
  });
});

describe('output modes', () => {
  const msg = catalog('en', 'en', { m: 'Tom & {name} <said>' });
  test('HTML escapes the text and the value; right-to-left HTML puts the value in <bdi>', () => {
    expect(msg.format('m', { name: '<b>"x"</b>' }, 'html')).toBe(
      'Tom &amp; &lt;b&gt;&quot;x&quot;&lt;/b&gt; &lt;said&gt;',
    );
    expect(msg.format('m', { name: 'Chrome' }, 'html-bdi')).toBe('Tom &amp; <bdi>Chrome</bdi> &lt;said&gt;');
  });

  test('text is as written; right-to-left text isolates the value with U+2068 and U+2069', () => {
    expect(msg.format('m', { name: '<b>' }, 'text')).toBe('Tom & <b> <said>');
    expect(msg.format('m', { name: 'Chrome' }, 'isolated')).toBe('Tom & \u2068Chrome\u2069 <said>');
  });
});

/** Value sets that reach every branch of a message. */
function samples(ast: readonly Element[]): Record<string, string | number>[] {
  const base: Record<string, string | number> = {};
  const variants: [string, (string | number)[]][] = [];
  const walk = (elements: readonly Element[]) => {
    for (const el of elements) {
      if (el.type === 1) base[el.value] ??= `«${el.value}»`;
      if (el.type === 5) variants.push([el.value, Object.keys(el.options)]);
      if (el.type === 6) variants.push([el.value, [0, 1, 2, 3, 5, 11, 21, 100, 1234]]);
      if (el.type === 5 || el.type === 6) for (const o of Object.values(el.options)) walk(o.value);
    }
  };
  walk(ast);
  const out = [{ ...base }];
  for (const [name, options] of variants) {
    const first = options[0] as string | number;
    for (const o of out) o[name] = first;
    for (const option of options)
      out.push({
        ...base,
        ...Object.fromEntries(variants.map(([n, os]) => [n, os[0] as string | number])),
        [name]: option,
      });
  }
  return out;
}
