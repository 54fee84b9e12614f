import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Response } from 'maxmind';
import { createGeoLookup, type GeoLookup, openGeo } from '../../src/enrich/geo.js';
import { classifyIp } from '../../src/enrich/ip.js';
import type { MmdbSource } from '../../src/enrich/mmdb-source.js';
import { AppError } from '../../src/errors.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/mmdb/${name}`, import.meta.url));

// MaxMind's source.json: [{ "<network>": record }]; IPv4 networks in IPv6 databases are written ::a.b.c.d/n.
function sourceEntries<T>(name: string): [string, T][] {
  const list = JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, T>[];
  return list.map((entry) => {
    const [network, record] = Object.entries(entry)[0]!;
    const address = network.split('/')[0]!;
    return [address.startsWith('::') && address.includes('.') ? address.slice(2) : address, record];
  });
}

interface CitySource {
  country?: { iso_code: string; names: { en: string } };
  city?: { names: { en: string } };
}

describe('geo lookup over MaxMind test databases', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await openGeo({
      cityDb: fixture('GeoIP2-City-Test.mmdb'),
      asnDb: fixture('GeoLite2-ASN-Test.mmdb'),
      anonymousDb: fixture('GeoIP2-Anonymous-IP-Test.mmdb'),
    });
  });
  afterAll(() => geo.close());

  it('places 81.2.69.160 in London, GB', () => {
    expect(geo.lookup('81.2.69.160')).toMatchObject({
      network: 'public',
      country_code: 'GB',
      country_name: 'United Kingdom',
      region: 'England',
      city: 'London',
      latitude: 51.5142,
      longitude: -0.0931,
      accuracy_radius_km: 100,
      time_zone: 'Europe/London',
    });
  });

  it('gives 1.128.0.1 the AS of Telstra', () => {
    expect(geo.lookup('1.128.0.1')).toMatchObject({ asn: 1221, as_org: 'Telstra Pty Ltd' });
  });

  it('flags 1.2.0.1 as an anonymous VPN, and nothing else', () => {
    expect(geo.lookup('1.2.0.1')).toMatchObject({
      is_anonymous: true,
      is_anonymous_vpn: true,
      is_hosting_provider: false,
      is_public_proxy: false,
      is_residential_proxy: false,
      is_tor_exit_node: false,
    });
  });

  it('answers an IPv4-mapped IPv6 address exactly like the IPv4 address', () => {
    expect(geo.lookup('::ffff:81.2.69.160')).toEqual(geo.lookup('81.2.69.160'));
  });

  it('answers an IPv6 address from the City database', () => {
    expect(geo.lookup('2001:218::1')).toMatchObject({ country_code: 'JP', country_name: 'Japan' });
  });

  it('matches country and city for every network in GeoIP2-City-Test.source.json', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const [ip, record] of sourceEntries<CitySource>('GeoIP2-City-Test.source.json')) {
      if (classifyIp(ip)?.network !== 'public') continue; // e.g. documentation ranges: never looked up
      const got = geo.lookup(ip);
      const want = { country_code: record.country?.iso_code, city: record.city?.names.en };
      if (got.country_code !== want.country_code || got.city !== want.city) {
        mismatches.push(`${ip}: got ${got.country_code}/${got.city}, want ${want.country_code}/${want.city}`);
      }
      checked++;
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  it('matches the AS for every network in GeoLite2-ASN-Test.source.json', () => {
    const mismatches: string[] = [];
    for (const [ip, record] of sourceEntries<{ autonomous_system_number: number }>(
      'GeoLite2-ASN-Test.source.json',
    )) {
      if (classifyIp(ip)?.network !== 'public') continue;
      const got = geo.lookup(ip).asn;
      if (got !== record.autonomous_system_number) mismatches.push(`${ip}: ${got}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('labels non-public addresses and does not report any location for them', () => {
    for (const [ip, network] of [
      ['10.0.0.1', 'private'],
      ['::1', 'loopback'],
      ['100.64.1.1', 'cgnat'],
      ['fe80::1', 'link_local'],
      ['192.0.2.1', 'reserved'],
    ] as const) {
      expect(geo.lookup(ip)).toEqual({ network });
    }
  });

  it('answers { network: "reserved" } for a string that is not an IP address', () => {
    expect(geo.lookup('not an ip')).toEqual({ network: 'reserved' });
    expect(geo.lookup('')).toEqual({ network: 'reserved' });
  });

  it('never throws, for any string (property)', () => {
    const anyInput = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
    );
    fc.assert(
      fc.property(anyInput, (input) => typeof geo.lookup(input).network === 'string'),
      { numRuns: 3_000 },
    );
  });
});

describe('geo lookup routing', () => {
  // A fake database that answers for every address and records what it was asked.
  function spySource(ipVersion: 4 | 6, record: Response): MmdbSource<Response> & { asked: string[] } {
    const asked: string[] = [];
    return {
      path: `fake-v${ipVersion}.mmdb`,
      asked,
      metadata: () => ({ ipVersion }) as ReturnType<MmdbSource<Response>['metadata']>,
      get: (ip) => {
        asked.push(ip);
        return record;
      },
      close: () => undefined,
    };
  }

  it('never asks a database about private, loopback, link-local, CGNAT or reserved addresses', () => {
    const city = spySource(6, { country: { iso_code: 'FR', geoname_id: 1, names: { en: 'France' } } });
    const geo = createGeoLookup([city]);
    for (const ip of [
      '10.0.0.1',
      '192.168.0.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '240.0.0.1',
    ]) {
      geo.lookup(ip);
    }
    for (const ip of ['::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1'])
      geo.lookup(ip);
    expect(city.asked).toEqual([]);
    expect(geo.lookup('::ffff:81.2.69.160')).toMatchObject({ network: 'public', country_code: 'FR' });
    expect(city.asked).toEqual(['81.2.69.160']);
  });

  it('asks an IPv4-only database only about IPv4 addresses', () => {
    const v4 = spySource(4, { country_code: 'US' } as unknown as Response);
    const v6 = spySource(6, { country_code: 'CA' } as unknown as Response);
    const geo = createGeoLookup([v4, v6]);
    expect(geo.lookup('2001:4860::1')).toMatchObject({ country_code: 'CA', country_name: 'Canada' });
    expect(geo.lookup('8.8.8.8')).toMatchObject({ country_code: 'US', country_name: 'United States' });
    expect(v4.asked).toEqual(['8.8.8.8']);
  });
});

describe('bundled DB-IP Lite database', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await openGeo({});
  });
  afterAll(() => geo.close());

  it.each(['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '2a00:1450:4001::1'])(
    'answers %s with a country, its English name and coordinates',
    (ip) => {
      const got = geo.lookup(ip);
      expect(got.network).toBe('public');
      expect(got.country_code).toMatch(/^[A-Z]{2}$/);
      expect(got.country_name).toBe(new Intl.DisplayNames(['en'], { type: 'region' }).of(got.country_code!));
      expect(typeof got.latitude).toBe('number');
      expect(got.accuracy_radius_km).toBeGreaterThan(0);
      expect(got.asn).toBeUndefined(); // no ASN database configured
      expect(got.is_anonymous).toBeUndefined(); // unknown, not "false", without the Anonymous-IP database
    },
  );
});

describe('opening databases', () => {
  it('rejects a missing file with GEO_DB_UNAVAILABLE naming the path', async () => {
    const path = '/nonexistent/GeoIP2-City.mmdb';
    const error = await openGeo({ cityDb: path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'GEO_DB_UNAVAILABLE', retryable: false });
    expect((error as Error).message).toContain(path);
  });

  it('rejects a file that is not an mmdb database, even when the city database is fine', async () => {
    const path = fixture('LICENSE-MIT');
    const error = await openGeo({ cityDb: fixture('GeoIP2-City-Test.mmdb'), asnDb: path }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'GEO_DB_UNAVAILABLE' });
    expect((error as Error).message).toContain(path);
  });
});
