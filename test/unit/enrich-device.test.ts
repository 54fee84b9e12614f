import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Device } from '../../src/contracts/login-alert.js';
import { createDeviceParser, MAX_PARSED_UA_LENGTH } from '../../src/enrich/device.js';
import { MAX_DISPLAY_LENGTH } from '../../src/enrich/text.js';

const corpus = readFileSync(new URL('../fixtures/user-agents/uap-core-corpus.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);

const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;

// Plain checks collected into a list: 17,816 UAs times seven fields is too many expect() calls to be quick.
function problems(device: Device, ua: string): string[] {
  const found: string[] = [];
  for (const [field, value] of Object.entries(device)) {
    const bad =
      typeof value !== 'string' ||
      value.length === 0 ||
      [...value].length > MAX_DISPLAY_LENGTH ||
      UNPRINTABLE.test(value) ||
      value !== value.trim() ||
      (ua.trim().length > MAX_DISPLAY_LENGTH && value === ua.trim());
    if (bad) found.push(`${JSON.stringify(ua)} → ${field}: ${JSON.stringify(value)}`);
  }
  return found;
}

function expectClean(device: Device, ua: string): void {
  expect(problems(device, ua)).toEqual([]);
}

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';

describe('device parser', () => {
  it(`parses all ${corpus.length} uap-core user agents into clean, short display strings`, () => {
    expect(corpus.length).toBe(17_816);
    const parser = createDeviceParser();
    let withBrowser = 0;
    const found: string[] = [];
    for (const ua of corpus) {
      const device = parser.parse(ua);
      found.push(...problems(device, ua));
      if (device.browser !== undefined) withBrowser++;
    }
    expect(found).toEqual([]);
    // A sanity floor, so a broken import that returns {} for everything cannot pass.
    expect(withBrowser).toBeGreaterThan(corpus.length / 2);
  });

  it.each([
    [
      CHROME_MAC,
      {
        browser: 'Chrome',
        browser_version: '129',
        os: 'macOS',
        os_version: '10.15.7',
        device_type: 'desktop',
      },
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      {
        browser: 'Mobile Safari',
        browser_version: '17',
        os: 'iOS',
        device_type: 'mobile',
        vendor: 'Apple',
        model: 'iPhone',
      },
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.6613.127 Mobile Safari/537.36',
      {
        browser: 'Chrome',
        browser_version: '128',
        os: 'Android',
        device_type: 'mobile',
        vendor: 'Samsung',
        model: 'SM-S918B',
      },
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0',
      { browser: 'Firefox', browser_version: '131', os: 'Windows', os_version: '10', device_type: 'desktop' },
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.79',
      { browser: 'Edge', browser_version: '129', os: 'Windows', device_type: 'desktop' },
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      { os: 'iOS', device_type: 'tablet', model: 'iPad' },
    ],
  ])('maps a known user agent to its device: %s', (ua, expected) => {
    expect(createDeviceParser().parse(ua)).toMatchObject(expected);
  });

  it('reports nothing for a missing, empty or unrecognised user agent, rather than guessing "desktop"', () => {
    const parser = createDeviceParser();
    expect(parser.parse(undefined)).toEqual({});
    expect(parser.parse('')).toEqual({});
    expect(parser.parse('curl/8.4.0')).toEqual({});
    expect(parser.stats()).toEqual({ hits: 0, misses: 1, size: 1 });
  });

  it('strips control and bidi characters that an attacker puts into the device model', () => {
    const ua =
      'Mozilla/5.0 (Linux; Android 10; Pixel\u0007\u202E\u200B 4\tXL Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Mobile Safari/537.36';
    const device = createDeviceParser().parse(ua);
    expectClean(device, ua);
    expect(device.os).toBe('Android');
  });

  it('parses only the first 512 characters of a 100 KB user agent, quickly', () => {
    const parser = createDeviceParser();
    const head = CHROME_MAC.padEnd(MAX_PARSED_UA_LENGTH, ' x');
    const started = performance.now();
    const a = parser.parse(`${head}${'A'.repeat(100_000)}`);
    const b = parser.parse(`${head}${' '.repeat(100_000)}Firefox/1.0`);
    // Generous bound: a ReDoS would take seconds, a normal parse takes microseconds.
    expect(performance.now() - started).toBeLessThan(500);
    expect(a).toMatchObject({ browser: 'Chrome', browser_version: '129' });
    // Both reduce to the same 512-character key, so the second is a cache hit.
    expect(b).toBe(a);
    expect(parser.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it('counts cache hits and misses and evicts beyond its size', () => {
    const parser = createDeviceParser({ cacheSize: 2 });
    parser.parse(CHROME_MAC);
    parser.parse(CHROME_MAC);
    parser.parse('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0');
    parser.parse('Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0');
    expect(parser.stats()).toEqual({ hits: 1, misses: 3, size: 2 });
    parser.parse(CHROME_MAC); // evicted as least recently used
    expect(parser.stats()).toEqual({ hits: 1, misses: 4, size: 2 });
  });

  it('returns frozen results, so one caller cannot change what the cache hands to the next', () => {
    const device = createDeviceParser().parse(CHROME_MAC);
    expect(Object.isFrozen(device)).toBe(true);
  });

  it('never throws and only returns clean strings, for any string (property)', () => {
    const parser = createDeviceParser({ cacheSize: 100 });
    const uaLike = fc
      .tuple(
        fc.constantFrom(...corpus.slice(0, 200)),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.nat(200),
      )
      .map(([ua, noise, at]) => ua.slice(0, at) + noise + ua.slice(at));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 2048 }), uaLike), (ua) => {
        return problems(parser.parse(ua), ua).length === 0;
      }),
      { numRuns: 1_000 },
    );
  });
});
