/** What the admin `/readyz` says about one dependency. */
export interface PartView {
  ok: boolean;
  code?: string;
  detail?: string;
}

const MAX_DETAIL_CHARS = 120;
// Each pattern is bounded or has nothing after its quantifier to backtrack into, and runs on at
// most MAX_DETAIL_CHARS * 2 characters.
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/\S*/gi;
const HOST_PORT = /\[?[A-Za-z0-9.:-]*[A-Za-z0-9\]]:\d{1,5}\b/g;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const IPV6 = /\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/gi;
const HOST_NAME = /\b[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+\b/g;
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * The per-dependency view for the admin listener: ok, a stable code when the part gave one, and a
 * short detail with addresses, host names, ports and URLs replaced by `[host]`. Error text
 * from a client library names internal hosts; the dashboard needs only what kind of failure it is.
 */
export function readinessDetails(
  parts: Record<string, { ok: boolean; detail?: string; code?: unknown }>,
): Record<string, PartView> {
  const out: Record<string, PartView> = {};
  for (const [name, part] of Object.entries(parts)) {
    const view: PartView = { ok: part.ok };
    if (typeof part.code === 'string' && CODE.test(part.code)) view.code = part.code;
    if (typeof part.detail === 'string' && part.detail.length > 0) view.detail = shortDetail(part.detail);
    out[name] = view;
  }
  return out;
}

/** `detail` without addresses, cut to a line. */
export function shortDetail(detail: string): string {
  const line = (detail.split('\n', 1)[0] ?? '').slice(0, MAX_DETAIL_CHARS * 2);
  const scrubbed = line
    .replace(URL_LIKE, '[host]')
    .replace(HOST_PORT, '[host]')
    .replace(IPV4, '[host]')
    .replace(HOST_NAME, (m) => (/[A-Za-z]/.test(m.slice(m.lastIndexOf('.'))) ? '[host]' : m))
    .replace(IPV6, (m) => (m.includes(':') && /\d/.test(m) ? '[host]' : m));
  return scrubbed.length > MAX_DETAIL_CHARS ? `${scrubbed.slice(0, MAX_DETAIL_CHARS - 1)}…` : scrubbed;
}
