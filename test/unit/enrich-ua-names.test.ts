// The vocabularies of browser, OS and maker names must hold every name ua-parser-js 1.x reports:
// over the uap-core corpus, and every name its regexes give as a constant. A new ua-parser-js that
// adds a name fails here, so the name is added on purpose rather than silently left out of notices.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import UAParser from 'ua-parser-js';
import { browserName, osName, vendorName } from '../../src/enrich/ua-names.js';

const corpus = readFileSync(new URL('../fixtures/user-agents/uap-core-corpus.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);

describe('the user-agent name vocabularies', () => {
  it('hold every browser and OS name, and every maker but free-text television ones, the corpus parses to', () => {
    const missing: string[] = [];
    for (const ua of corpus) {
      const { browser, os, device } = new UAParser(ua).getResult();
      if (browser.name && !browserName(browser.name)) missing.push(`browser ${browser.name}`);
      if (os.name && !osName(os.name)) missing.push(`os ${os.name}`);
      // HbbTV televisions name their maker in free text; "Generic" names no maker.
      if (device.vendor && !vendorName(device.vendor) && !/hbbtv/i.test(ua) && device.vendor !== 'Generic')
        missing.push(`vendor ${device.vendor} in ${ua}`);
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('hold every name ua-parser-js gives as a constant', () => {
    const source = readFileSync(createRequire(import.meta.url).resolve('ua-parser-js'), 'utf8');
    const constants = new Map<string, string>();
    for (const [, name, value] of source.matchAll(/^\s*(?:var\s+)?([A-Z_]+)\s*=\s*'([^']*)'/gm))
      constants.set(name as string, value as string);
    // [NAME, 'Quark'], [NAME, OPERA+' Mini'], [VENDOR, SAMSUNG]: a constant, optionally with a suffix
    // ([NAME, VERSION] is a capture, not a name).
    const given = (field: string, section: string) =>
      [...section.matchAll(new RegExp(`\\[${field}, *([A-Z_]+|'[^']+')(?: *\\+ *'([^']*)')?\\]`, 'g'))]
        .filter(([, head]) => !['VERSION', 'MODEL', 'TYPE', 'NAME', 'VENDOR'].includes(head as string))
        .map(
          ([, head, tail]) =>
            ((head as string).startsWith("'")
              ? (head as string).slice(1, -1)
              : constants.get(head as string)) + (tail ?? ''),
        );
    const section = (name: string, next: string) =>
      source.slice(source.indexOf(`${name} : [[`), source.indexOf(`${next} : [[`));
    const browsers = given('NAME', section('browser', 'cpu'));
    const oses = given('NAME', source.slice(source.indexOf('os : [[')));
    const vendors = given('VENDOR', section('device', 'engine')).filter((n) => n !== 'Generic');
    // The extraction itself must have found the library's names, or this test proves nothing.
    expect([browsers.length, oses.length, vendors.length].every((n) => n >= 8)).toBe(true);
    const missing = [
      ...browsers.filter((n) => !browserName(n)).map((n) => `browser ${n}`),
      ...oses.filter((n) => !osName(n)).map((n) => `os ${n}`),
      ...vendors.filter((n) => !vendorName(n)).map((n) => `vendor ${n}`),
    ];
    expect(missing).toEqual([]);
  });

  it('give one display spelling whatever the casing or punctuation the user agent used', () => {
    expect(['OPERA', 'opera', 'Opera'].map(browserName)).toEqual(['Opera', 'Opera', 'Opera']);
    expect(browserName('MobileSafari')).toBe('Mobile Safari');
    expect(browserName('UPBROWSER')).toBe('UP.Browser');
    expect(osName('Mac OS')).toBe('macOS');
    expect(osName('ANDROID')).toBe('Android');
    expect(vendorName('LGE')).toBe('LG');
  });

  it('have no name for words a crafted user agent puts where a name goes', () => {
    for (const name of [
      'CALL 18005550199',
      'evil.com',
      'Chrome Call Now',
      'x'.repeat(41),
      '',
      42,
      undefined,
    ]) {
      expect([browserName(name), osName(name), vendorName(name)]).toEqual([undefined, undefined, undefined]);
    }
  });
});
