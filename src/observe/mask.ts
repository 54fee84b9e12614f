import { isIP } from 'node:net';

/**
 * Masking for logs: personal data keeps just enough shape to correlate, secrets vanish.
 * Applied to every string a log line carries, so a careless `log.info({ event })` stays safe.
 *
 * Every pattern here runs in time linear in its input: no unbounded quantifier is followed by
 * something it could give characters back to, so no start position rescans a long run. Strings
 * are capped before masking as well, so one log call costs microseconds whatever it is given.
 */
const SECRET_KEY =
  /(secret|password|passwd|token|authorization|auth_token|api[_-]?key|private[_-]?key|p256dh|^auth$|cookie)/i;

/** Longest string a log line carries; the rest is cut off (and counted) before masking. */
export const MAX_LOGGED_CHARS = 2048;

// An email's local part is matched only from the start of its run (the lookbehind), and consumed
// atomically (lookahead + backreference), so each run is read once. The domain is only looked at,
// not consumed: a candidate rejected for its domain leaves the next address in the text intact.
const EMAIL = /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])(?=([A-Za-z0-9._%+-]*))\2@(?=([A-Za-z0-9.-]+))/g;
const DOMAIN = /[A-Za-z0-9.-]\.[A-Za-z]{2}/;
const PHONE = /\+\d{1,3}[\d\s-]{5,14}(\d{2})\b/g;
const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\b/g;
// IPv6 candidates: whole runs of hex digits, colons and dots (read once, atomically, from the start
// of the run), each judged by net.isIP, so `::1`, `fe80::1`, `2001:db8::` and `::ffff:1.2.3.4`
// are found wherever the `::` stands, and a time or a MAC address is not.
const HEX_COLON_RUN = /(?<![0-9A-Za-z:.])(?=([0-9A-Fa-f:.]+))\1/g;
/** The longest IPv6 text (`ffff:…:255.255.255.255`). */
const MAX_IPV6_CHARS = 45;
// Long opaque strings: JWTs and signed link tokens (dot-separated runs, read whole and split in
// code), and Twilio-style API keys (bounded).
const DOTTED_RUN = /(?<![A-Za-z0-9_.-])(?=([A-Za-z0-9_.-]+))\1/g;
const API_KEY = /\b(?:AC|SK|MG)[0-9a-fA-F]{32}\b/g;

/** Masks emails, phone numbers, IP addresses and tokens inside free text (capped first). */
export function maskText(text: string): string {
  return cap(text)
    .replace(DOTTED_RUN, maskTokens)
    .replace(API_KEY, '[token]')
    .replace(EMAIL, (match, first: string, _rest: string, domain: string) =>
      DOMAIN.test(domain) ? `${first}***@` : match,
    )
    .replace(PHONE, '+***$1')
    .replace(HEX_COLON_RUN, maskIpv6)
    .replace(IPV4, '$1.$2.x.x');
}

/** An IPv6 address keeps its first two groups (the network's start): `2001:db8:x::x`. */
function maskIpv6(run: string): string {
  if (run.length > MAX_IPV6_CHARS || !run.includes(':') || isIP(run) !== 6) return run;
  const [head = ''] = run.split('::');
  const groups = head === '' ? [] : head.split(':');
  return `${groups[0] ?? '0'}:${groups[1] ?? '0'}:x::x`;
}

/** `text` cut to MAX_LOGGED_CHARS, saying how much was dropped. */
function cap(text: string): string {
  if (text.length <= MAX_LOGGED_CHARS) return text;
  return `${text.slice(0, MAX_LOGGED_CHARS)}…[+${text.length - MAX_LOGGED_CHARS} chars]`;
}

/**
 * In one run of `[A-Za-z0-9_.-]`, a segment of 20+ characters followed by one of 10+ (and an
 * optional third, a JWT's signature) is a token.
 */
function maskTokens(run: string): string {
  if (run.length < 31 || !run.includes('.')) return run;
  const parts = run.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const head = parts[i] as string;
    const next = parts[i + 1];
    if (head.length >= 20 && next !== undefined && next.length >= 10) {
      const third = parts[i + 2];
      out.push('[token]');
      i += third ? 2 : 1;
    } else out.push(head);
  }
  return out.join('.');
}

/** Nesting below this depth is logged as DEPTH_MARKER: nothing deeper is looked at, so nothing raw. */
export const MAX_LOGGED_DEPTH = 8;
export const DEPTH_MARKER = '[depth]';

/** Deep copy of `value` with secrets removed and personal data masked. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_LOGGED_DEPTH) return DEPTH_MARKER;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: maskText(value.message), code: (value as { code?: unknown }).code };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : maskValue(v, depth + 1);
  }
  return out;
}
