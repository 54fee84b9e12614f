// Every dynamic value in an alert is untrusted text (parsed from a user agent, read from a geo
// database, or passed by a caller). These helpers make it printable, single-line and short before
// any template sees it, so plain-text channels (which are not escaped) stay safe too.

// Control characters and line/paragraph separators (and any other whitespace) become one space;
// format characters (bidi overrides, zero-width, tags), private-use, unassigned and lone surrogates go.
const TO_SPACE = /[\p{Cc}\p{Zl}\p{Zp}\p{Zs}\s]+/gu;
const TO_DROP = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
// Printable Latin text with single inner spaces needs no cleaning: the common case, checked fast.
const SAFE_LINE = /^(?! )[\x21-\x7e\u00a1-\u00ac\u00ae-\u02ff]*(?: [\x21-\x7e\u00a1-\u00ac\u00ae-\u02ff]+)*$/;
// Tokens an email client or phone could turn into a link or a mailto: attacker-chosen device names
// must not become clickable. Version numbers ("129.0.1") contain dots but no letters around them.
const LINKISH = /\S*(?::\/\/|www\.|@|[\p{L}\d-]*\p{L}[\p{L}\d-]*\.\p{L}{2,})\S*/giu;

/** Printable, single-line, trimmed text capped at `max` code points (with an ellipsis); '' when nothing is left. */
export function clean(value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (SAFE_LINE.test(value)) return cap(value, max);
  const text = value.normalize('NFC').replace(TO_DROP, '').replace(TO_SPACE, ' ').trim();
  return cap(text, max);
}

/** Like `clean`, and also removes anything that looks like a URL, domain or email address. */
export function cleanDefanged(value: unknown, max: number): string {
  const text = clean(value, max * 2);
  if (!/[.:@]/.test(text)) return cap(text, max);
  return cap(text.replace(LINKISH, '').replace(/\s+/g, ' ').trim(), max);
}

/** Collapses all whitespace of rendered output to single spaces and caps it (subjects, SMS, push). */
export function oneLine(text: string, max: number): string {
  // Fast path: rendered templates are usually clean already (values were cleaned on the way in).
  const trimmed = text.trim();
  return cap(
    SAFE_LINE.test(trimmed) ? trimmed : trimmed.replace(TO_DROP, '').replace(TO_SPACE, ' ').trim(),
    max,
  );
}

/** Normalises a rendered plain-text body: no trailing spaces, at most one blank line in a row. */
export function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** Caps text at `max` code points, never splitting a surrogate pair; an ellipsis marks the cut. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}…`;
}
