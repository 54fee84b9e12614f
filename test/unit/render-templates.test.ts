import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  createRenderer,
  DEFAULT_TEMPLATES_DIR,
  NOTICE_KINDS,
  NOTICE_PARTS,
  type RenderInput,
} from '../../src/notify/render.js';
import { REPORT_PAGE_KINDS, renderReportPage } from '../../src/notify/report-pages.js';
import { smsSegments } from '../../src/notify/sms.js';
import { isPrepared, loadTemplateSet, usePreparedCalls } from '../../src/notify/templates.js';
import { codeOf } from '../support/app-error.js';

const renderer = createRenderer();
const REPORT = 'https://alerts.example.com/r/AQAAAAA.abcdefghijklmnopqrstuv';
const SETTINGS = 'https://chatgpt.com/#settings/Security';

const base: RenderInput = {
  kind: 'new_login',
  locale: 'en',
  timeZone: 'America/Sao_Paulo',
  occurredAt: '2026-11-24T17:05:00Z',
  product: 'chatgpt',
  method: 'passkey',
  device: {
    browser: 'Chrome',
    browser_version: '129',
    os: 'macOS',
    os_version: '10.15.7',
    device_type: 'desktop',
  },
  geo: { network: 'public', city: 'London', country_code: 'GB', country_name: 'United Kingdom' },
  severity: 'info',
  reasons: [],
  failureCount: 5,
  change: 'credential.added',
  reportUrl: REPORT,
  settingsUrl: SETTINGS,
};

const LOCALES = ['en', 'pt-BR', 'es', 'fr', 'de', 'it', 'ja', 'ko', 'zh-CN', 'hi', 'ar', 'ru'];
const RTL = new Set(['ar']);

describe.each(LOCALES)('every notice in %s', (locale) => {
  test.each(
    NOTICE_KINDS.flatMap((kind) => (['info', 'warning', 'critical'] as const).map((s) => [kind, s] as const)),
  )('renders %s at %s severity for every channel', (kind, severity) => {
    const out = renderer.render({
      ...base,
      kind,
      locale,
      severity,
      reasons: ['new_device', 'impossible_travel'],
    });
    expect(out.locale).toBe(locale);
    expect(out.email.subject).toMatch(/^[^\r\n]{10,120}$/);
    expect(out.email.html).toMatch(/^<!DOCTYPE html>/);
    expect(out.email.html).toContain(`<html lang="${locale}" dir="${RTL.has(locale) ? 'rtl' : 'ltr'}">`);
    expect(out.email.html).toContain(`href="${REPORT}"`);
    expect(out.email.html).toContain(`href="${SETTINGS}"`);
    expect(out.email.text).toContain(REPORT);
    expect(out.email.text).toContain(SETTINGS);
    expect(out.email.text).not.toMatch(/<[a-z]|&[a-z#0-9]+;/i);
    expect(smsSegments(out.sms).segments).toBeLessThanOrEqual(locale === 'en' ? 1 : 2);
    expect(out.email.text).not.toContain('{');
    expect(out.sms).not.toContain('?'.repeat(3));
    expect(out.sms).not.toMatch(/https?:/);
    expect(out.push.title.length).toBeGreaterThan(5);
    expect(out.push.body.length).toBeGreaterThan(20);
  });
});

describe('what an English alert says', () => {
  test('gives the time in the account zone with the zone named, place, device, method and product', () => {
    const out = renderer.render(base);
    expect(out.email.text).toContain('Tuesday, 24 November 2026, 14:05 GMT-3 (America/Sao_Paulo)');
    expect(out.email.text).toContain('near London, United Kingdom');
    expect(out.email.text).toContain('Chrome 129 on macOS');
    expect(out.email.text).toContain('Signed in with: passkey');
    expect(out.email.text).toContain('Product: ChatGPT');
    expect(out.email.subject).toBe('New sign-in to ChatGPT');
    expect(out.sms).toBe(
      'ChatGPT: new sign-in, Tue 24 Nov, 14:05 GMT-3, Chrome on macOS, near London, United Kingdom. Not you? Check your email or security settings.',
    );
  });

  test('explains critical reasons in plain words', () => {
    const out = renderer.render({
      ...base,
      method: 'password',
      severity: 'critical',
      reasons: ['impossible_travel', 'method_downgrade'],
    });
    expect(out.email.subject).toBe('Urgent: unusual sign-in to ChatGPT');
    expect(out.email.text).toContain('from a place too far away to reach since your last sign-in');
    expect(out.email.text).toContain('with a method your account does not allow (password)');
    expect(out.email.html).toContain('from a place too far away to reach since your last sign-in');
    expect(out.sms).toMatch(/^ChatGPT: unusual sign-in/);
  });

  test('states the number of failed attempts', () => {
    const out = renderer.render({
      ...base,
      kind: 'failed_attempts',
      failureCount: 1234,
      severity: 'warning',
    });
    expect(out.email.subject).toBe('1,234 failed sign-in attempts on your ChatGPT account');
    expect(out.sms).toContain('1,234 failed sign-in attempts');
    expect(renderer.render({ ...base, kind: 'failed_attempts', failureCount: 1 }).email.subject).toContain(
      '1 failed sign-in attempt on',
    );
  });

  test('names each account change', () => {
    const said = (change: RenderInput['change']) =>
      renderer.render({ ...base, kind: 'account_change', change, severity: 'warning' }).email.subject;
    expect(said('credential.added')).toBe('A passkey or security key was added to your account');
    expect(said('credential.removed')).toBe('A passkey or security key was removed from your account');
    expect(said('recovery.changed')).toBe('Your account recovery settings were changed');
    expect(said('api_key.created')).toBe('A new API key was created on your account');
  });

  test('confirms enrolment: keys required, every sign-in reported, conversations excluded from training', () => {
    const out = renderer.render({ ...base, kind: 'enrolled' });
    expect(out.email.text).toContain('Only passkeys and security keys can sign in');
    expect(out.email.text).toContain('Every new sign-in is reported to you');
    expect(out.email.text).toContain('Your conversations are excluded from model training');
    expect(out.sms).toContain('excluded from model training');
  });

  test('maps product ids to names and shows other names only when shaped like one', () => {
    const product = (p: string | undefined) => renderer.render({ ...base, product: p }).email.subject;
    expect(product('codex')).toBe('New sign-in to Codex');
    expect(product('api')).toBe('New sign-in to OpenAI API');
    expect(product('Acme Portal')).toBe('New sign-in to Acme Portal');
    expect(product('new<b>thing\u202E')).toBe('New sign-in to OpenAI');
    expect(product('Call 18005550199')).toBe('New sign-in to OpenAI');
    expect(product('portal.evil.example')).toBe('New sign-in to OpenAI');
    expect(product(undefined)).toBe('New sign-in to OpenAI');
  });

  test('says what it knows when place or device are unknown', () => {
    const out = renderer.render({ ...base, device: {}, geo: { network: 'private' } });
    expect(out.email.text).toContain('Device: Unknown device');
    expect(out.email.text).toContain('Where: A private or local network');
    expect(out.sms).toBe(
      'ChatGPT: new sign-in, Tue 24 Nov, 14:05 GMT-3. Not you? Check your email or security settings.',
    );
  });
});

describe('what a Brazilian Portuguese alert says', () => {
  test('localises time, country, device connector and method; keeps the city as given', () => {
    const out = renderer.render({ ...base, locale: 'pt-BR' });
    expect(out.email.text).toContain('terça-feira, 24 de novembro de 2026, 14:05 GMT-3 (America/Sao_Paulo)');
    expect(out.email.text).toContain('perto de London, Reino Unido');
    expect(out.email.text).toContain('Chrome 129 no macOS');
    expect(out.email.text).toContain('Login feito com: chave de acesso');
    expect(out.email.subject).toBe('Novo login na sua conta ChatGPT');
    expect(out.email.html).toContain('Não fui eu');
  });

  test('sends the SMS as one GSM-7 segment by folding accents, like Brazilian senders do', () => {
    const out = renderer.render({
      ...base,
      locale: 'pt-BR',
      geo: { network: 'public', city: 'São Paulo', country_code: 'BR' },
    });
    expect(smsSegments(out.sms)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(out.sms).toContain('Nao foi voce?');
  });
});

describe('locale choice', () => {
  test.each([
    ['pt-BR', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['pt_br', 'pt-BR'],
    ['en-US', 'en'],
    ['de-DE', 'de'],
    ['es-419', 'es'],
    ['fr-CA', 'fr'],
    ['zh-TW', 'en'],
    ['ar-SA', 'ar'],
    ['zz-not a locale!', 'en'],
    [undefined, 'en'],
  ])('%s uses the %s catalog', (requested, expected) => {
    expect(renderer.render({ ...base, locale: requested }).locale).toBe(expected);
  });

  test("keeps the reader's own English variant for dates", () => {
    const out = renderer.render({ ...base, locale: 'en-US' });
    expect(out.email.text).toContain('Tuesday, November 24, 2026, 2:05 PM GMT-3 (America/Sao_Paulo)');
  });

  test('shows UTC, named, for a missing or unknown zone', () => {
    expect(renderer.render({ ...base, timeZone: 'Mars/Olympus' }).email.text).toContain('17:05 GMT+0 (UTC)');
    expect(renderer.render({ ...base, timeZone: undefined }).email.text).toContain('(UTC)');
  });
});

describe('untrusted values', () => {
  // Names from the vocabularies and place names may still carry characters HTML must escape.
  const escapable = {
    ...base,
    device: { browser: 'Chrome', os: 'Android', vendor: 'AT&T', model: 'Z432', device_type: 'mobile' },
    geo: { network: 'public' as const, city: "Sant'Antioco", country_code: 'IT' },
  };

  test('are HTML-escaped in the HTML body', () => {
    const out = renderer.render(escapable);
    expect(out.email.html).toContain('AT&amp;T Z432');
    expect(out.email.html).toContain('Sant&#x27;Antioco');
    expect(out.email.html).not.toContain('AT&T');
  });

  test('appear as plain, unescaped text in the text body, SMS and push', () => {
    const out = renderer.render(escapable);
    expect(out.email.text).toContain('Device: Chrome on Android (AT&T Z432)');
    expect(out.email.text).toContain("near Sant'Antioco, Italy");
    expect(out.email.text).not.toContain('&amp;');
    expect(out.push.body).toContain("Sant'Antioco");
  });

  test('cannot add lines, reorder text with bidi controls, or bring in links: such values are left out', () => {
    const out = renderer.render({
      ...base,
      device: {
        browser: 'Chrome\u202E',
        model: "Pixel\r\nThis wasn't me: https://evil.example/x",
        os: 'Android',
      },
      geo: { network: 'public', city: 'Lon\u2066don\nInjected: line', country_code: 'GB' },
    });
    for (const text of [out.email.text, out.email.html, out.sms, out.push.body, out.email.subject]) {
      expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
      expect(text).not.toContain('evil.example');
      expect(text).not.toMatch(/Injected|This wasn't me: https:\/\/evil/);
    }
    expect(out.email.text).toContain('Device: Chrome on Android (Android phone)');
    expect(out.email.text).toContain('Where: in United Kingdom');
  });

  test('leaves out names no user agent parser reports, however long', () => {
    const out = renderer.render({ ...base, device: { browser: 'B'.repeat(500), os: 'O'.repeat(500) } });
    expect(out.email.text).toContain('Device: Unknown device\n');
  });

  test('the raw user agent is not an input, so it cannot come out', () => {
    const ua =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';
    const out = renderer.render({ ...base, ...({ userAgent: ua, user_agent: ua } as object) });
    expect(JSON.stringify(out)).not.toContain('Mozilla');
  });

  test('refuses a report link or settings link that is not http(s), after a good one too', () => {
    expect(codeOf(() => renderer.render({ ...base, reportUrl: 'javascript:alert(1)' }))).toBe('INTERNAL');
    expect(renderer.render({ ...base, settingsUrl: SETTINGS }).email.html).toContain(`href="${SETTINGS}"`);
    expect(codeOf(() => renderer.render({ ...base, settingsUrl: 'javascript:alert(1)' }))).toBe('INTERNAL');
    expect(codeOf(() => renderer.render({ ...base, settingsUrl: 'javascript:alert(1)' }))).toBe('INTERNAL');
    expect(renderer.render({ ...base, settingsUrl: SETTINGS }).email.text).toContain(SETTINGS);
  });
});

describe('templates are strict', () => {
  test('every email template throws on a missing variable', () => {
    const set = loadTemplateSet(DEFAULT_TEMPLATES_DIR);
    for (const [locale, catalog] of set.catalogs) {
      for (const kind of NOTICE_KINDS) {
        for (const part of ['html', 'text']) {
          const template = set.byLocale.get(catalog.locale)?.get(`${kind}.${part}`);
          expect([locale, kind, part, template]).not.toContain(undefined);
          expect(() => template?.({})).toThrow(/not defined|needs the value/);
        }
      }
    }
  });

  describe('with a broken template set', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'templates-'));
      cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    test('a misspelt variable stops start-up with BAD_CONFIG instead of printing nothing', () => {
      // Every part is rendered once at start, so the typo fails the start, not a delivery later.
      writeFileSync(join(dir, 'new_login.subject.hbs'), 'New sign-in to {{prodcut}}');
      expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
      expect(() => createRenderer({ templatesDir: dir })).toThrow(/new_login.*"prodcut" not defined/);
      writeFileSync(
        join(dir, 'new_login.subject.hbs'),
        '{{t "new_login.subject" severity=severity product=prodcut}}',
      );
      expect(() => createRenderer({ templatesDir: dir })).toThrow(/new_login.*"prodcut" not defined/);
    });

    test('a section on a view value, or a Handlebars built-in the templates do not use, stops start-up', () => {
      for (const body of ['{{#product}}x{{/product}}', '{{^critical}}calm{{/critical}}']) {
        writeFileSync(join(dir, 'new_login.subject.hbs'), body);
        expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
        expect(() => createRenderer({ templatesDir: dir })).toThrow(
          /new_login\.subject\.hbs: \{\{#\w+\}\} is a section/,
        );
      }
      for (const body of [
        '{{#with device}}{{this}}{{/with}}',
        '{{lookup this "product"}}',
        '{{log product}}',
      ]) {
        writeFileSync(join(dir, 'new_login.subject.hbs'), body);
        expect([body, codeOf(() => createRenderer({ templatesDir: dir }))]).toEqual([body, 'BAD_CONFIG']);
      }
      // {{^}} is the else of a block, not a section
      writeFileSync(join(dir, 'new_login.subject.hbs'), '{{#if critical}}!{{^}}{{product}}{{/if}}');
      expect(() => createRenderer({ templatesDir: dir })).not.toThrow();
    });

    test('a missing template stops start-up with BAD_CONFIG naming it', () => {
      rmSync(join(dir, 'enrolled.sms.hbs'));
      expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
      expect(() => createRenderer({ templatesDir: dir })).toThrow('enrolled.sms.hbs');
    });

    test('a catalog with a missing key stops start-up with BAD_CONFIG naming it', () => {
      writeFileSync(
        join(dir, 'messages', 'en.json'),
        JSON.stringify({ intl: 'en-GB', dir: 'ltr', messages: {} }),
      );
      expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
      expect(() => createRenderer({ templatesDir: dir })).toThrow('en: lacks product.fallback');
    });

    test('a partial is written into its template: parameters fill it, escaped in HTML, a block partial wraps its block', () => {
      writeFileSync(
        join(dir, 'partials', 'frame.html.hbs'),
        '<div title="{{label}}">{{> @partial-block}}</div>\n',
      );
      writeFileSync(join(dir, 'partials', 'note.text.hbs'), '[{{label}}] {{> inner_text}}\n');
      writeFileSync(join(dir, 'partials', 'inner.text.hbs'), '({{v product}})');
      writeFileSync(
        join(dir, 'enrolled.html.hbs'),
        '{{#> frame_html label="a<b & \'c\'"}}<p>{{v product}}</p>{{/frame_html}}',
      );
      writeFileSync(join(dir, 'enrolled.text.hbs'), 'x\n{{> note_text label="t:notYou"}}y\n');
      const out = createRenderer({ templatesDir: dir }).render({
        kind: 'enrolled',
        locale: 'en',
        occurredAt: '2026-01-01T00:00:00Z',
        severity: 'info',
        reasons: [],
        product: 'codex',
      }).email;
      expect(out.html).toBe('<div title="a&lt;b &amp; &#x27;c&#x27;"><p>Codex</p></div>\n');
      expect(out.text).toBe("x\n[Wasn't you?] (Codex)\ny\n");
    });

    test('a template calling a partial the set lacks stops start-up with BAD_CONFIG naming it', () => {
      writeFileSync(join(dir, 'new_login.text.hbs'), 'x {{> detials_text}}');
      expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
      expect(() => createRenderer({ templatesDir: dir })).toThrow(
        'new_login.text.hbs: no partial "detials_text"',
      );
    });

    test('a template naming a message no catalog has stops start-up with BAD_CONFIG', () => {
      writeFileSync(join(dir, 'enrolled.push-title.hbs'), '{{t "enrolled.titel"}}');
      expect(codeOf(() => createRenderer({ templatesDir: dir }))).toBe('BAD_CONFIG');
      expect(() => createRenderer({ templatesDir: dir })).toThrow('enrolled.titel');
    });
  });

  test('one template set serves every catalog', () => {
    const set = loadTemplateSet(DEFAULT_TEMPLATES_DIR);
    expect([...set.catalogs.keys()].sort()).toEqual([...LOCALES].sort());
    for (const kind of NOTICE_KINDS)
      for (const part of NOTICE_PARTS) expect(set.names.has(`${kind}.${part}`)).toBe(true);
  });
});

describe('without a report link', () => {
  test.each(NOTICE_KINDS)(
    '%s does not ask the reader to "tell us" and points to settings instead',
    (kind) => {
      for (const locale of ['en', 'pt-BR']) {
        const out = renderer.render({ ...base, kind, locale, reportUrl: undefined });
        expect(out.email.text).not.toMatch(
          /Tell us|let us know|Avise-nos|avise-nos|This wasn't me|Não fui eu/,
        );
        expect(out.email.html).not.toMatch(
          /Tell us|let us know|Avise-nos|avise-nos|This wasn't me|Não fui eu/,
        );
        expect(out.email.text).toContain(SETTINGS);
      }
    },
  );
});

describe.each(['en', 'pt-BR'])('a containment notice in %s', (locale) => {
  const tokyo = { network: 'public' as const, city: 'Tokyo', country_code: 'JP', country_name: 'Japan' };
  const notice = (
    action: 'session_revoked' | 'all_sessions_revoked' | 'credential_removed',
    status: 'done' | 'not_found' | 'failed',
  ) =>
    renderer.render({
      ...base,
      kind: 'containment',
      locale,
      timeZone: 'Asia/Tokyo',
      occurredAt: '2026-12-06T01:32:00Z',
      product: undefined,
      device: { browser: 'Chrome', os: 'Windows', device_type: 'desktop' },
      geo: tokyo,
      change: undefined,
      containment: { action, status },
      reportUrl: undefined,
    });
  const said = {
    en: {
      done: 'We signed out',
      next: 'Next: review your passkeys',
      failed: 'security team',
      removed: 'We removed',
    },
    'pt-BR': {
      done: 'Encerramos',
      next: 'Próximo passo: revise suas chaves',
      failed: 'equipe de segurança',
      removed: 'Removemos',
    },
  }[locale]!;

  test.each([
    ['session_revoked', 'done'],
    ['session_revoked', 'not_found'],
    ['all_sessions_revoked', 'done'],
    ['credential_removed', 'done'],
    ['session_revoked', 'failed'],
    ['all_sessions_revoked', 'failed'],
    ['credential_removed', 'failed'],
  ] as const)('%s %s: says what was done on every channel, with no report link', (action, status) => {
    const out = notice(action, status);
    const failed = status === 'failed';
    expect(out.locale).toBe(locale);
    expect(out.email.subject).toMatch(/^[^\r\n]{10,120}$/);
    expect(out.email.html).toMatch(/^<!DOCTYPE html>/);
    expect(out.email.html).toContain(`href="${SETTINGS}"`);
    expect(out.email.html).not.toContain('/r/');
    expect(out.email.text).not.toMatch(/<[a-z]|&[a-z#0-9]+;/i);
    expect(out.email.text).toContain(SETTINGS);
    for (const part of [out.email.text, out.email.html, out.push.body, out.sms]) {
      if (failed) expect(part).toMatch(new RegExp(said.failed.replace(/ç/, '.'), 'i'));
      else
        expect(part.toLowerCase()).toContain(
          (action === 'credential_removed' ? said.removed : said.done).toLowerCase(),
        );
    }
    if (!failed) expect(out.email.text).toContain(said.next);
    if (action === 'session_revoked') {
      // The reported sign-in, named as the alert named it, in the person's zone.
      expect(out.email.text).toContain('Chrome');
      expect(out.email.text).toContain('Windows');
      expect(out.email.text).toContain('Tokyo');
      expect(out.email.text).toContain('10:32');
    }
    expect(smsSegments(out.sms).segments).toBeLessThanOrEqual(2);
    expect(out.sms).not.toMatch(/https?:/);
    expect(out.push.title.length).toBeGreaterThan(5);
    expect(out.push.body.length).toBeGreaterThan(20);
  });

  test('the HTML email carries the sentence too, escaped (its partial is compiled per format)', () => {
    const out = renderer.render({
      ...base,
      kind: 'containment',
      locale,
      device: { browser: 'Chrome', os: 'Windows', device_type: 'desktop', model: '<b>x</b>' },
      containment: { action: 'session_revoked', status: 'done' },
    });
    expect(out.email.html).not.toContain('<b>x');
    expect(out.email.html).toMatch(/Chrome (on|no) Windows/);
  });
});

describe('template calls set up once', () => {
  afterAll(() => usePreparedCalls(true));

  // Every notice of every kind, severity and locale, with and without a link, and every report page.
  const everything = () => {
    const out: unknown[] = [];
    for (const locale of LOCALES) {
      for (const kind of NOTICE_KINDS) {
        for (const severity of ['info', 'critical'] as const) {
          for (const reportUrl of [REPORT, undefined]) {
            const r = renderer.render({
              ...base,
              kind,
              locale,
              severity,
              reportUrl,
              reasons: ['new_device'],
            });
            out.push(r.email, r.sms, r.push);
          }
        }
      }
      for (const page of REPORT_PAGE_KINDS) {
        for (const scope of ['session', 'everywhere'] as const) {
          for (const kind of ['new_login', 'account_change'] as const) {
            const reported = {
              kind,
              device: base.device,
              geo: base.geo,
              occurredAt: base.occurredAt,
              canEndSession: true,
              canRemoveCredential: true,
            };
            out.push(renderReportPage(page, locale, { settingsUrl: SETTINGS, scope, reported }));
          }
          out.push(renderReportPage(page, locale, { scope }));
        }
      }
    }
    return out;
  };

  test('are what the Handlebars read here allows (a new Handlebars must be read again)', () => {
    expect(usePreparedCalls(true)).toBe(true);
  });

  test('write every notice and page as Handlebars setting each call up does', () => {
    usePreparedCalls(true);
    const prepared = everything();
    expect(usePreparedCalls(false)).toBe(false);
    expect(everything()).toEqual(prepared);
    expect(prepared.length).toBeGreaterThan(1000);
  });

  test('are taken by every shipped template, and not by one with a data variable', () => {
    const set = loadTemplateSet(DEFAULT_TEMPLATES_DIR);
    const templates = [...set.byLocale.values()].flatMap((byName) => [...byName.values()]);
    expect(templates.length).toBeGreaterThan(300);
    expect(templates.filter((t) => !isPrepared(t))).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    try {
      cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
      writeFileSync(
        join(dir, 'probe.text.hbs'),
        '{{#each reasons}}{{@index}}={{this}} {{/each}}[{{product}}]',
      );
      const probe = loadTemplateSet(dir).byLocale.get('en')?.get('probe.text');
      expect(probe && isPrepared(probe)).toBe(false);
      for (const on of [true, false]) {
        usePreparedCalls(on);
        expect(probe?.({ reasons: ['a', 'b'], product: 'x' })).toBe('0=a 1=b [x]');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('keep values a view only inherits out, as Handlebars does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    try {
      cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
      writeFileSync(join(dir, 'probe.text.hbs'), '[{{product}}|{{method}}]');
      const probe = loadTemplateSet(dir).byLocale.get('en')?.get('probe.text');
      expect(probe && isPrepared(probe)).toBe(true);
      const inherited = Object.assign(Object.create({ product: 'inherited' }), { method: 'own' });
      // Handlebars says so on the console, once per property name.
      const denied = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      for (const on of [true, false]) {
        expect(usePreparedCalls(on)).toBe(on);
        expect(probe?.(inherited)).toBe('[|own]');
      }
      expect(denied.mock.calls.flat().join(' ')).toMatch(
        /Access has been denied to resolve the property "product"/,
      );
      denied.mockRestore();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
