import {
  checkEndpoint,
  compileAllowList,
  isPublicAddress,
  vetAddresses,
} from '../../src/channels/push-hosts.js';
import { DEFAULT_WEB_PUSH_ALLOWED_HOSTS } from '../../src/config/schema.js';

const defaults = compileAllowList(DEFAULT_WEB_PUSH_ALLOWED_HOSTS, { trustExact: false });
const allowed = (endpoint: string, list = defaults) => checkEndpoint(endpoint, list).ok;

describe('push endpoint hosts, as written', () => {
  test.each([
    'https://fcm.googleapis.com/fcm/send/abc',
    'https://updates.push.services.mozilla.com/wpush/v2/abc',
    'https://web.push.apple.com/QGq',
    'https://wns2-par02p.notify.windows.com/w/?token=abc',
    'https://a.b.push.apple.com/x',
  ])('the default list allows %s', (endpoint) => {
    expect(allowed(endpoint)).toBe(true);
  });

  test.each([
    ['an unlisted host', 'https://push.example.com/x'],
    ['a pattern’s bare suffix', 'https://push.apple.com/x'],
    ['a name that only ends like a suffix', 'https://evilpush.apple.com/x'],
    ['a listed name as a subdomain of another', 'https://fcm.googleapis.com.evil.test/x'],
    ['plain http', 'http://fcm.googleapis.com/fcm/send/abc'],
    ['a listed name as userinfo', 'https://fcm.googleapis.com@evil.test/x'],
    ['credentials on a listed host', 'https://user:pw@fcm.googleapis.com/x'],
    ['a backslash trick', 'https://evil.test\\@fcm.googleapis.com/x'],
    ['localhost', 'https://localhost/x'],
    ['an address literal', 'https://127.0.0.1/x'],
    ['an IPv6 literal', 'https://[::1]/x'],
    ['not a URL', 'fcm.googleapis.com'],
  ])('refuses %s', (_what, endpoint) => {
    expect(allowed(endpoint)).toBe(false);
  });

  test('compares case-insensitively, ignores the port and a trailing root dot', () => {
    expect(allowed('https://FCM.GoogleAPIs.com/fcm/send/abc')).toBe(true);
    expect(allowed('https://fcm.googleapis.com:8443/fcm/send/abc')).toBe(true);
    expect(allowed('https://fcm.googleapis.com./fcm/send/abc')).toBe(true);
    expect(allowed('https://x.notify.windows.com./w')).toBe(true);
    expect(allowed('https://push.example.com./x')).toBe(false);
  });

  test('matches international names by their punycode form, whichever way either is written', () => {
    const list = compileAllowList(['*.bücher.example', 'xn--caf-dma.example']);
    expect(allowed('https://push.xn--bcher-kva.example/x', list)).toBe(true);
    expect(allowed('https://push.BÜCHER.example/x', list)).toBe(true);
    expect(allowed('https://café.example/x', list)).toBe(true);
    expect(allowed('https://cafe.example/x', list)).toBe(false);
  });

  test('address literals are allowed only when listed themselves, in any spelling', () => {
    const list = compileAllowList(['127.0.0.1', '[0:0:0:0:0:0:0:1]', '*.push.test']);
    expect(allowed('https://127.0.0.1:4443/x', list)).toBe(true);
    expect(allowed('https://0x7f.1/x', list)).toBe(true); // the URL parser writes it 127.0.0.1
    expect(allowed('https://2130706433/x', list)).toBe(true);
    expect(allowed('https://[::1]/x', list)).toBe(true);
    expect(allowed('https://127.0.0.2/x', list)).toBe(false);
    expect(allowed('https://[::ffff:127.0.0.1]/x', list)).toBe(false);
  });

  test('reports the exact-listing and literal flags the address check relies on', () => {
    const list = compileAllowList(['127.0.0.1', 'localhost', '*.push.test']);
    const at = (e: string) => {
      const c = checkEndpoint(e, list);
      return c.ok
        ? { exact: c.endpoint.trusted, literal: c.endpoint.literal, host: c.endpoint.connectHost }
        : c;
    };
    expect(at('https://127.0.0.1/x')).toEqual({ exact: true, literal: true, host: '127.0.0.1' });
    expect(at('https://LOCALHOST./x')).toEqual({ exact: true, literal: false, host: 'localhost' });
    expect(at('https://a.push.test/x')).toEqual({ exact: false, literal: false, host: 'a.push.test' });
  });
});

describe('public addresses', () => {
  test.each([
    '127.0.0.1',
    '127.0.0.2',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1', // CGNAT
    '169.254.169.254', // cloud metadata
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.10',
    '198.51.100.1',
    '203.0.113.5',
    '::',
    '::1',
    'fe80::1',
    'fd00::1',
    'fc00::1',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1', // IPv4-mapped loopback
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1', // NAT64 of a private address
    '2002:7f00:1::1', // 6to4 carrying 127.0.0.1
    '2001:0:4136:e378::1', // Teredo
    '::127.0.0.1', // deprecated IPv4-compatible
    'fe80::1%eth0',
    'not-an-address',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(['142.250.74.106', '8.8.8.8', '2a00:1450:4007:80e::200a', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('vetting resolved addresses', () => {
  const list = compileAllowList(['localhost', '*.push.test']);
  const endpoint = (e: string) => {
    const c = checkEndpoint(e, list);
    if (!c.ok) throw new Error(c.reason);
    return c.endpoint;
  };

  test('a pattern name must resolve to public addresses only: one private address refuses it', () => {
    const e = endpoint('https://x.push.test/p');
    expect(vetAddresses(e, [{ address: '142.250.74.106', family: 4 }])).toEqual({
      ok: true,
      address: '142.250.74.106',
      family: 4,
    });
    expect(
      vetAddresses(e, [
        { address: '142.250.74.106', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ]).ok,
    ).toBe(false);
    expect(vetAddresses(e, [{ address: '::ffff:192.168.0.1', family: 6 }]).ok).toBe(false);
    expect(vetAddresses(e, []).ok).toBe(false);
  });

  test('an exactly listed host may resolve anywhere', () => {
    expect(vetAddresses(endpoint('https://localhost/p'), [{ address: '::1', family: 6 }])).toEqual({
      ok: true,
      address: '::1',
      family: 6,
    });
  });
});

describe('split-horizon DNS and the default list', () => {
  const vet = (list: ReturnType<typeof compileAllowList>, url: string, address: string) => {
    const c = checkEndpoint(url, list);
    if (!c.ok) throw new Error(c.reason);
    return vetAddresses(c.endpoint, [{ address, family: address.includes(':') ? 6 : 4 }]);
  };

  test.each([
    ['fcm.googleapis.com', '127.0.0.1'],
    ['fcm.googleapis.com', '10.0.0.8'],
    ['updates.push.services.mozilla.com', '169.254.169.254'],
    ['web.push.apple.com', '::1'],
  ])('a default exact host (%s) resolving to %s is refused', (host, address) => {
    expect(vet(defaults, `https://${host}/x`, address)).toEqual({
      ok: false,
      reason: `host ${host} resolves to a non-public address`,
    });
    expect(vet(defaults, `https://${host}/x`, '142.250.74.106').ok).toBe(true);
  });

  test('the same name listed exactly by the operator keeps the opt-out: it may resolve anywhere', () => {
    const operator = compileAllowList(['fcm.googleapis.com', '*.push.apple.com']);
    expect(vet(operator, 'https://fcm.googleapis.com/x', '127.0.0.1').ok).toBe(true);
    // A pattern is never an opt-out, whoever wrote it.
    expect(vet(operator, 'https://a.push.apple.com/x', '127.0.0.1').ok).toBe(false);
  });
});
