import { isIP } from 'node:net';

/** A syntactically valid address: IPv4 as an unsigned 32-bit number, IPv6 as eight 16-bit groups. */
export type ParsedIp = { family: 4; v4: number } | { family: 6; v6: number[] };

/** Parses an IPv4 or IPv6 string (an IPv6 zone such as `%eth0` is ignored); undefined when it is not one. */
export function parseIp(input: string): ParsedIp | undefined {
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) return undefined;
  // node:net does the validation (it rejects leading zeros, spaces, brackets and prefixes); we only split.
  const family = isIP(input);
  if (family === 4) return { family: 4, v4: parseV4(input) };
  if (family !== 6) return undefined;
  const zone = input.indexOf('%');
  return { family: 6, v6: parseV6(zone === -1 ? input : input.slice(0, zone)) };
}

function parseV4(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parseV6(text: string): number[] {
  const gap = text.indexOf('::');
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const left = groups(head);
  const right = groups(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

// Hex groups, where the last one may be an embedded dotted IPv4 address (two groups).
function groups(part: string): number[] {
  if (part.length === 0) return [];
  const out: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      const v4 = parseV4(piece);
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      out.push(Number.parseInt(piece, 16));
    }
  }
  return out;
}

/** Dotted-quad text of an IPv4 number. */
export function formatV4(v4: number): string {
  return `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.${v4 & 0xff}`;
}

/** RFC 5952 text of an IPv6 address: lower case, no leading zeros, the longest zero run (≥ 2) as `::`. */
export function formatV6(v6: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (v6[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && v6[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = v6.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
