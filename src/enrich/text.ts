// Enriched values end up in alerts that people read, and user-agent text is attacker-controlled:
// keep only printable text, so nothing can reorder, hide or inject lines in a rendered alert.

/** Default cap, in characters, for one enriched display value. */
export const MAX_DISPLAY_LENGTH = 64;

// Control characters and line/paragraph separators become spaces (then collapse);
// format characters (bidi overrides, zero-width), private-use, unassigned and lone surrogates go.
const TO_SPACE = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu;
const TO_DROP = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cf}\p{Co}\p{Cn}\p{Cs}]|\s\s|^\s|\s$/u;

/** Printable, single-line, trimmed text of at most `max` characters; undefined when nothing is left. */
export function cleanText(value: unknown, max = MAX_DISPLAY_LENGTH): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  // Fast path: almost every value from the parser or a database is already clean.
  let text = UNSAFE.test(value) ? value.replace(TO_DROP, '').replace(TO_SPACE, ' ').trim() : value;
  if (text.length > max) text = truncate(text, max);
  return text.length > 0 ? text : undefined;
}

// Cut by code point so a surrogate pair is never split in half.
function truncate(text: string, max: number): string {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count === max) break;
    out += ch;
    count++;
  }
  return out.trimEnd();
}

/**
 * Like `cleanText`, but a value that needed cleaning (control or format characters such as bidi
 * overrides, line breaks, doubled or edge spaces) is refused: undefined. For names a database gives,
 * where such characters have no honest use and stripping them would show what they were hiding.
 */
export function strictText(value: unknown, max = MAX_DISPLAY_LENGTH): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || UNSAFE.test(value)) return undefined;
  return cleanText(value, max);
}
