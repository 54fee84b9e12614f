// Every dynamic value in an alert is untrusted text (parsed from a user agent, read from a geo
// database, or passed by a caller). These helpers make it printable, single-line and short before
// any template sees it, so plain-text channels (which are not escaped) stay safe too.

// Control characters and line/paragraph separators (and any other whitespace) become one space;
// format characters (bidi overrides, zero-width, tags), private-use, unassigned and lone surrogates go.
const TO_SPACE = /[\p{Cc}\p{Zl}\p{Zp}\p{Zs}\s]+/gu;
const TO_DROP = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
const TO_DROP_BUT_ISOLATES = /(?![\u2066-\u2069])[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
// Printable Latin text with single inner spaces needs no cleaning: the common case, checked fast.
const SAFE_LINE = /^(?! )[\x21-\x7e\u00a1-\u00ac\u00ae-\u02ff]*(?: [\x21-\x7e\u00a1-\u00ac\u00ae-\u02ff]+)*$/;

// The link check works one whitespace-separated token at a time, and every test on a token is a
// single left-to-right scan (String.includes, split, or a pattern with no nested or adjacent
// overlapping quantifiers), so its cost is linear in the length of the text, whatever the text.
// Dots a mail client or a reader may take for a domain's dot: the full stop, the ideographic and
// half-width ideographic full stops (。｡), the fullwidth one (．) and look-alikes NFKC leaves alone.
const DOTS = /[\u3002\uff61\uff0e\u2024\ufe52\u0701\u0702\u06d4\u2e3c]/g;
// "[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}" and the like: a dot written so filters miss it.
const BRACKETED_DOT = /[[({<]\s?(?:\.|dot)\s?[\])}>]/g;
// A scheme ("http:", "tel:", "mailto:") or the start of an authority ("//").
const SCHEME = /^[a-z][a-z0-9+.-]{0,31}:./;
// A top-level label: two or more letters of any script (".com", ".рф", ".みんな").
const TLD = /^\p{L}{2,63}$/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const BRACKET_ENDS = /^[[({<]|[\])}>]$/g;
/** The patterns of the link check, exported for the test that holds them free of nested quantifiers. */
export const LINK_PATTERNS: readonly RegExp[] = [
  DOTS,
  BRACKETED_DOT,
  SCHEME,
  TLD,
  LETTER_OR_DIGIT,
  BRACKET_ENDS,
];
/** The words that spell a dot out ("evil dot com"), compared in lower case, brackets removed. */
const DOT_WORDS = new Set(['dot', 'd0t']);

/**
 * Whether one token (no whitespace inside) could be taken for a link, a domain or an address:
 * a scheme, "//", "www.", an "@", punycode ("xn--"), or a `label.tld` shape where the dot may be
 * any full stop (。．｡) or a bracketed dot ("[.]", "(dot)"). Version numbers ("129.0.1") are not:
 * their last label is not letters.
 */
export function isLinkLike(token: string): boolean {
  // NFKC folds fullwidth letters, digits and signs (ｅｖｉｌ．ｃｏｍ, ＠, ：) onto their plain forms.
  const t = token.normalize('NFKC').toLowerCase().replace(BRACKETED_DOT, '.').replace(DOTS, '.');
  if (t.includes('@') || t.includes('//') || t.includes('www.') || t.includes('xn--')) return true;
  if (SCHEME.test(t)) return true;
  if (!t.includes('.')) return false;
  // Trailing punctuation ("evil.com)", "evil.com.") does not make a domain any less a domain.
  const labels = t.split('.').map(trimToLettersAndDigits);
  while (labels.length > 0 && labels[labels.length - 1] === '') labels.pop();
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] as string;
  return TLD.test(tld) && labels.slice(0, -1).some((label) => LETTER_OR_DIGIT.test(label));
}

// A loop rather than /^[^…]+|[^…]+$/: that pattern rescans the tail from every start (quadratic).
function trimToLettersAndDigits(label: string): string {
  const points = Array.from(label);
  let start = 0;
  let end = points.length;
  while (start < end && !LETTER_OR_DIGIT.test(points[start] as string)) start++;
  while (end > start && !LETTER_OR_DIGIT.test(points[end - 1] as string)) end--;
  return start === 0 && end === points.length ? label : points.slice(start, end).join('');
}

/** Whether a token spells out a dot ("dot", "(dot)", "[DOT]"): "evil dot com" names a domain. */
export function isDotWord(token: string): boolean {
  const t = token.normalize('NFKC').toLowerCase();
  return DOT_WORDS.has(t.replace(BRACKET_ENDS, ''));
}

/** Printable, single-line, trimmed text capped at `max` code points (with an ellipsis); '' when nothing is left. */
export function clean(value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (SAFE_LINE.test(value)) return cap(value, max);
  const text = value.normalize('NFC').replace(TO_DROP, '').replace(TO_SPACE, ' ').trim();
  return cap(text, max);
}

/** Collapses all whitespace of rendered output to single spaces and caps it (subjects, SMS, push). */
export function oneLine(text: string, max: number): string {
  // Fast path: rendered templates are usually clean already (values were cleaned on the way in).
  // The isolates (U+2066–U+2069) stay: outside values lost theirs in `clean`, so any left here are
  // the ones a right-to-left catalog put around a value.
  const trimmed = text.trim();
  return cap(
    SAFE_LINE.test(trimmed)
      ? trimmed
      : trimmed.replace(TO_DROP_BUT_ISOLATES, '').replace(TO_SPACE, ' ').trim(),
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
