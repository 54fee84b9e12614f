/**
 * Masking for logs: personal data keeps just enough shape to correlate, secrets vanish.
 * Applied to every string a log line carries, so a careless `log.info({ event })` stays safe.
 */
const SECRET_KEY =
  /(secret|password|passwd|token|authorization|auth_token|api[_-]?key|private[_-]?key|p256dh|^auth$|cookie)/i;

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const PHONE = /\+\d{1,3}[\d\s-]{5,14}(\d{2})\b/g;
const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\b/g;
const IPV6 = /\b([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):[0-9a-fA-F:]*:[0-9a-fA-F]{0,4}\b/g;
// Long opaque strings: JWTs, signed link tokens, API keys.
const TOKEN =
  /\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}(\.[A-Za-z0-9_-]+)?\b|\b(?:AC|SK|MG)[0-9a-fA-F]{32}\b/g;

/** Masks emails, phone numbers, IP addresses and tokens inside free text. */
export function maskText(text: string): string {
  return text
    .replace(TOKEN, '[token]')
    .replace(EMAIL, '$1***@$2')
    .replace(PHONE, '+***$1')
    .replace(IPV4, '$1.$2.x.x')
    .replace(IPV6, '$1:$2:x::x');
}

/** Deep copy of `value` with secrets removed and personal data masked. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
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
