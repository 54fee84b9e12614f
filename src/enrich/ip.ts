import type { Geo } from '../contracts/login-alert.js';
import { formatV4, formatV6, parseIp } from './ip-parse.js';

/** What kind of network an address belongs to; only 'public' addresses are looked up in geo databases. */
export type NetworkLabel = Geo['network'];

/** A normalised address: canonical text, its family, and its network label. */
export interface ClassifiedIp {
  ip: string;
  family: 4 | 6;
  network: NetworkLabel;
}

type Range4 = readonly [base: number, bits: number, label: NetworkLabel];
type Range6 = readonly [groups: readonly number[], bits: number, label: NetworkLabel];

const v4 = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// IANA IPv4 Special-Purpose Address Registry, reduced to what matters for alerts: nothing here names a
// place a person signs in from. First match wins.
const RANGES_V4: readonly Range4[] = [
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(100, 64, 0, 0), 10, 'cgnat'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link_local'],
  [v4(0, 0, 0, 0), 8, 'reserved'], // "this network"
  [v4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24, 'reserved'], // TEST-NET-1
  [v4(198, 51, 100, 0), 24, 'reserved'], // TEST-NET-2
  [v4(203, 0, 113, 0), 24, 'reserved'], // TEST-NET-3
  [v4(192, 88, 99, 0), 24, 'reserved'], // deprecated 6to4 relay anycast
  [v4(198, 18, 0, 0), 15, 'reserved'], // benchmarking
  [v4(224, 0, 0, 0), 4, 'reserved'], // multicast
  [v4(240, 0, 0, 0), 4, 'reserved'], // future use, including 255.255.255.255
];

// IPv6 special purposes. Anything outside 2000::/3 (global unicast) that is not listed is unassigned: reserved.
const RANGES_V6: readonly Range6[] = [
  [[0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0x0064, 0xff9b, 1], 48, 'private'], // local-use NAT64 (RFC 8215)
  [[0xfc00], 7, 'private'], // unique local
  [[0xfec0], 10, 'private'], // deprecated site-local
  [[0xfe80], 10, 'link_local'],
  [[0xff00], 8, 'reserved'], // multicast
  [[0x2001, 0x0db8], 32, 'reserved'], // documentation
  [[0x3fff], 20, 'reserved'], // documentation (RFC 9637)
  [[0x2001, 0x0002, 0], 48, 'reserved'], // benchmarking
  [[0x2001, 0x0010], 28, 'reserved'], // deprecated ORCHID
  [[0x2000], 3, 'public'],
  [[0], 0, 'reserved'],
];

/**
 * Normalises and labels an address; undefined for a string that is not an IP address.
 * IPv4-mapped (::ffff:a.b.c.d) and well-known-prefix NAT64 (64:ff9b::a.b.c.d, RFC 6052) addresses
 * carry an IPv4 client address, so they are reported and classified as that IPv4 address.
 */
export function classifyIp(ip: string): ClassifiedIp | undefined {
  const parsed = parseIp(ip);
  if (parsed === undefined) return undefined;
  if (parsed.family === 4) return { ip: formatV4(parsed.v4), family: 4, network: labelV4(parsed.v4) };
  const g = parsed.v6;
  if (embedsV4(g)) {
    const addr = ((g[6]! << 16) | g[7]!) >>> 0;
    return { ip: formatV4(addr), family: 4, network: labelV4(addr) };
  }
  return { ip: formatV6(g), family: 6, network: labelV6(g) };
}

function embedsV4(g: readonly number[]): boolean {
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0;
  return mapped || nat64;
}

function labelV4(addr: number): NetworkLabel {
  for (const [base, bits, label] of RANGES_V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((addr & mask) >>> 0 === base) return label;
  }
  return 'public';
}

function labelV6(g: readonly number[]): NetworkLabel {
  for (const [prefix, bits, label] of RANGES_V6) {
    if (matchesV6(g, prefix, bits)) return label;
  }
  return 'reserved';
}

function matchesV6(g: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0, left = bits; left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if (((g[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}
