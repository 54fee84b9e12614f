import { classifyIp } from '../enrich/ip.js';
import { parseIp } from '../enrich/ip-parse.js';

/**
 * Which push endpoints may be contacted (contract v1.1 "Outbound web push"). Pure: the channel
 * resolves names and asks here about the host it read and each address it found.
 */
export interface PushAllowList {
  /** hosts listed exactly */
  readonly exact: ReadonlySet<string>;
  /**
   * Whether an exactly listed host may resolve anywhere. True only for a list the operator wrote
   * (WEB_PUSH_ALLOWED_HOSTS): naming a host exactly is then the decision to trust it. The default
   * list names public push services, whose addresses are checked like a pattern's (a split-horizon
   * DNS could answer fcm.googleapis.com with an internal address).
   */
  readonly trustExact: boolean;
  /** `*.suffix` patterns, kept as `.suffix`: any deeper name matches, the bare suffix does not */
  readonly suffixes: readonly string[];
}

/** An endpoint that may be contacted once its addresses are vetted. */
export interface AllowedEndpoint {
  url: URL;
  /** the host as the URL parser normalised it (lower case, punycode, no trailing dot, `[v6]`) */
  host: string;
  /** the host to connect to: without IPv6 brackets */
  connectHost: string;
  /** listed exactly by the operator: its addresses are not checked */
  trusted: boolean;
  /** the host is an address literal: nothing to resolve */
  literal: boolean;
}

export type EndpointCheck = { ok: true; endpoint: AllowedEndpoint } | { ok: false; reason: string };

/**
 * Normalises list entries the way the URL parser normalises endpoint hosts, so both compare as text.
 * `trustExact`: the list is the operator's own (see PushAllowList.trustExact).
 */
export function compileAllowList(
  entries: readonly string[],
  opts: { trustExact: boolean } = { trustExact: true },
): PushAllowList {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of entries) {
    const pattern = entry.startsWith('*.');
    const host = normaliseHost(pattern ? entry.slice(2) : entry);
    if (host === undefined) continue;
    if (pattern) suffixes.push(`.${host}`);
    else exact.add(host);
  }
  return { exact, suffixes, trustExact: opts.trustExact };
}

/** The host of `text` as a URL parser would write it, or undefined when it is not a host. */
function normaliseHost(text: string): string | undefined {
  try {
    return stripDot(new URL(`https://${text}/`).hostname);
  } catch {
    return undefined;
  }
}

// `a.example.` and `a.example` are one DNS name: compared without the root dot.
const stripDot = (host: string) => (host.endsWith('.') ? host.slice(0, -1) : host);

/**
 * Whether an endpoint, as written, may be contacted at all (its addresses are checked next). `open`:
 * a host the list does not name is allowed too, its addresses then checked like a pattern's (the
 * Shared Signals push endpoints, which receivers name).
 */
export function checkEndpoint(
  endpoint: string,
  list: PushAllowList,
  opts: { open?: boolean } = {},
): EndpointCheck {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, reason: 'the endpoint is not a URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'the endpoint is not https' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'the endpoint carries credentials' };
  }
  const host = stripDot(url.hostname);
  if (host === '') return { ok: false, reason: 'the endpoint has no host' };
  const exact = list.exact.has(host);
  const literal = host.startsWith('[') || parseIp(host) !== undefined;
  // An address literal is allowed only when listed itself: a pattern names DNS names.
  const matched = exact || (!literal && list.suffixes.some((s) => host.endsWith(s)));
  if (!matched && opts.open !== true)
    return { ok: false, reason: `host ${host} is not in WEB_PUSH_ALLOWED_HOSTS` };
  const connectHost = host.startsWith('[') ? host.slice(1, -1) : host;
  return { ok: true, endpoint: { url, host, connectHost, trusted: exact && list.trustExact, literal } };
}

/**
 * True for an address on the public internet. Loopback, private, link-local, CGNAT, multicast,
 * unspecified, documentation and other special-purpose ranges are not (IPv4-mapped and NAT64
 * addresses are judged by the IPv4 address they carry); neither are 6to4 and Teredo, which
 * carry an IPv4 address that may be anything.
 */
export function isPublicAddress(address: string): boolean {
  const parsed = parseIp(address);
  if (parsed === undefined) return false;
  if (parsed.family === 6) {
    const [a, b] = parsed.v6;
    if (a === 0x2002 || (a === 0x2001 && b === 0)) return false;
  }
  return classifyIp(address)?.network === 'public';
}

/**
 * The first address to connect to, or why none may be: every address must be public unless the
 * operator listed the host exactly.
 */
export function vetAddresses(
  endpoint: AllowedEndpoint,
  addresses: readonly { address: string; family: number }[],
): { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string } {
  const first = addresses[0];
  if (first === undefined) return { ok: false, reason: `host ${endpoint.host} has no address` };
  if (!endpoint.trusted) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad !== undefined) {
      return { ok: false, reason: `host ${endpoint.host} resolves to a non-public address` };
    }
  }
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
