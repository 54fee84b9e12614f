import fc from 'fast-check';
import { classifyIp } from '../../src/enrich/ip.js';

describe('classifyIp', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['81.2.69.160', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'reserved'],
    ['0.1.2.3', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.44', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.20.0.1', 'public'],
    ['224.0.0.251', 'reserved'],
    ['239.255.255.250', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['::', 'reserved'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:db8:ffff::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['64:ff9b:1::1', 'private'],
    ['4000::1', 'reserved'],
    ['::1.2.3.4', 'reserved'],
  ])('labels %s as %s', (ip, network) => {
    expect(classifyIp(ip)?.network).toBe(network);
  });

  it('normalises IPv4-mapped IPv6 to IPv4 before labelling', () => {
    expect(classifyIp('::ffff:81.2.69.160')).toEqual({ ip: '81.2.69.160', family: 4, network: 'public' });
    expect(classifyIp('::FFFF:0a00:0001')).toEqual({ ip: '10.0.0.1', family: 4, network: 'private' });
    expect(classifyIp('0:0:0:0:0:ffff:127.0.0.1')).toEqual({
      ip: '127.0.0.1',
      family: 4,
      network: 'loopback',
    });
  });

  it('treats a well-known-prefix NAT64 address as the IPv4 client it carries', () => {
    expect(classifyIp('64:ff9b::8.8.8.8')).toEqual({ ip: '8.8.8.8', family: 4, network: 'public' });
    expect(classifyIp('64:ff9b::c0a8:101')).toEqual({ ip: '192.168.1.1', family: 4, network: 'private' });
  });

  it('returns IPv6 in its canonical RFC 5952 form', () => {
    expect(classifyIp('2001:0DB8:0000:0000:0001:0000:0000:0001')?.ip).toBe('2001:db8::1:0:0:1');
    expect(classifyIp('2A00:1450:4001:0:0:0:0:1')?.ip).toBe('2a00:1450:4001::1');
    expect(classifyIp('1:0:0:2:0:0:0:3')?.ip).toBe('1:0:0:2::3');
    expect(classifyIp('fe80::1%eth0')).toEqual({ ip: 'fe80::1', family: 6, network: 'link_local' });
  });

  it.each([
    '',
    'abc',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/24',
    '[::1]',
    '1.2.3.4%eth0',
    '::ffff:',
    '256.1.1.1',
    '1:2:3:4:5:6:7:8:9',
  ])('returns undefined for %j, which is not an IP address', (input) => {
    expect(classifyIp(input)).toBeUndefined();
  });

  it('never throws for any string, and its output is stable when fed back (property)', () => {
    const anyInput = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.ipV6().map((ip) => `${ip}%eth0`),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
    );
    fc.assert(
      fc.property(anyInput, (input) => {
        const first = classifyIp(input);
        if (first === undefined) return true;
        const again = classifyIp(first.ip);
        return again !== undefined && again.ip === first.ip && again.network === first.network;
      }),
      { numRuns: 5_000 },
    );
  });

  it('recognises every valid IPv4 and IPv6 address (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => classifyIp(ip) !== undefined),
      { numRuns: 2_000 },
    );
  });
});
