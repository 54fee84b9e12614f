// SMS length rules (3GPP TS 23.038 as carriers and Twilio apply them): a message that uses only the
// GSM-7 alphabet holds 160 septets in one segment, 153 per part when concatenated; extension-table
// characters take two septets and an escape pair is never split across parts. One character outside
// GSM-7 switches the whole message to UCS-2: 70 UTF-16 units, 67 per part, surrogate pairs unsplit.

const GSM_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
const GSM_EXTENSION = new Set(Array.from('^{}\\[~]|€\f'));
// Septets per UTF-16 code unit: 1 (basic table), 2 (extension table), 0 (not GSM-7). Every GSM-7
// character is in the Basic Multilingual Plane, so a surrogate is never GSM-7.
const SEPTETS = new Uint8Array(0x10000);
for (const ch of GSM_BASIC) SEPTETS[ch.charCodeAt(0)] = 1;
for (const ch of GSM_EXTENSION) SEPTETS[ch.charCodeAt(0)] = 2;

// Typography that has a plain GSM-7 equivalent (Intl output and our own templates use some of it).
const PUNCTUATION: Record<string, string> = {
  '‘': "'",
  '’': "'",
  ʼ: "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '‐': '-',
  '‑': '-',
  '…': '...',
  '−': '-',
  '·': '-',
  '•': '-',
};

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** Encoding, number of segments and units (septets or UTF-16 units) an SMS body needs. Empty text: 0 segments. */
export function smsSegments(text: string): { encoding: SmsEncoding; segments: number; units: number } {
  const gsm = new Packer(160, 153);
  for (let i = 0; i < text.length; i++) {
    const septets = SEPTETS[text.charCodeAt(i)] as number;
    if (septets === 0) return { encoding: 'UCS-2', ...ucs2Segments(text) };
    gsm.add(septets);
  }
  return { encoding: 'GSM-7', ...gsm.result() };
}

// A surrogate pair (one character, two units) is never split across parts; a lone surrogate is one unit.
function ucs2Segments(text: string): { segments: number; units: number } {
  const ucs = new Packer(70, 67);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (unit >= 0xd800 && unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
      ucs.add(2);
      i++;
    } else ucs.add(1);
  }
  return ucs.result();
}

/** True when a character is in the GSM-7 basic or extension table. */
export function isGsm(ch: string): boolean {
  return ch.length === 1 && SEPTETS[ch.charCodeAt(0)] !== 0;
}

function allGsm(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (SEPTETS[text.charCodeAt(i)] === 0) return false;
  return true;
}

/**
 * The text with every character outside GSM-7 replaced by its nearest GSM-7 form: typographic
 * punctuation by ASCII, other spaces by a space, accented letters without a GSM-7 form by the base
 * letter ("São" → "Sao"; GSM-7 letters such as "ü" stay). Returns undefined when some character
 * (a CJK ideograph, an emoji) has no such form, so the caller can leave that value out instead.
 */
export function toGsm(text: string): string | undefined {
  let out = '';
  // GSM-7 runs are copied as slices; only the characters between them are looked at one by one.
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (SEPTETS[text.charCodeAt(i)] !== 0) continue;
    const point = text.codePointAt(i) as number;
    const ch = String.fromCodePoint(point);
    const mapped = folded.has(ch) ? folded.get(ch) : fold(ch);
    if (mapped === undefined) return undefined;
    out += text.slice(run, i) + mapped;
    i += ch.length - 1;
    run = i + 1;
  }
  return run === 0 ? text : out + text.slice(run);
}

// Folded forms of the characters met so far (undefined: none); bounded, as text is untrusted.
const folded = new Map<string, string | undefined>();

function fold(ch: string): string | undefined {
  const mapped = PUNCTUATION[ch] ?? (/\s/u.test(ch) ? ' ' : ch.normalize('NFKD').replace(/\p{M}/gu, ''));
  const result = mapped !== '' && allGsm(mapped) ? mapped : undefined;
  if (folded.size < 4096) folded.set(ch, result);
  return result;
}

/**
 * Picks the SMS to send from candidates ordered richest first: the fewest segments wins, then the
 * text as written over its GSM-7 folding, then the richer candidate. So a Portuguese text is folded
 * to unaccented GSM-7 when that saves a segment (as Brazilian senders do), and the city is dropped
 * before a second segment is spent. A text with a character GSM-7 has no form for (Japanese,
 * Arabic, Cyrillic) is never folded: it goes as UCS-2. Never returns more than `maxSegments` segments.
 */
export function fitSms(candidates: readonly (string | (() => string))[], maxSegments = 2): string {
  // Candidates may be thunks, so variants that are never needed are never rendered; each one is
  // sized once, as written and folded.
  const sized: { text: string; segments: number; folded: string; foldedSegments: number }[] = [];
  const size = (i: number) => {
    let entry = sized[i];
    if (entry === undefined) {
      const c = candidates[i] as string | (() => string);
      const text = typeof c === 'function' ? c() : c;
      const folded = toGsm(text);
      entry = {
        text,
        segments: smsSegments(text).segments,
        folded: folded ?? text,
        foldedSegments: folded === undefined ? Number.POSITIVE_INFINITY : smsSegments(folded).segments,
      };
      sized[i] = entry;
    }
    return entry;
  };
  for (let target = 1; target <= maxSegments; target++) {
    for (let i = 0; i < candidates.length; i++) {
      const { text, segments, folded, foldedSegments } = size(i);
      if (segments <= target) return text;
      if (foldedSegments <= target) return folded;
    }
  }
  // Unreachable with sane templates; a hard cut still keeps the bound the channel relies on.
  const last = candidates.length > 0 ? size(candidates.length - 1) : undefined;
  if (last === undefined) return '';
  return last.foldedSegments <= last.segments
    ? truncate(last.folded, 'GSM-7', maxSegments === 1 ? 160 : 153 * maxSegments)
    : truncate(last.text, 'UCS-2', maxSegments === 1 ? 70 : 67 * maxSegments);
}

// Cuts to `units` septets (GSM-7) or UTF-16 units (UCS-2), never inside a character, marked "...".
function truncate(text: string, encoding: SmsEncoding, units: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = encoding === 'UCS-2' ? ch.length : GSM_EXTENSION.has(ch) ? 2 : 1;
    if (used + size > units - 3) return `${out.trimEnd()}...`;
    out += ch;
    used += size;
  }
  return out;
}

// Greedy packing: the units of one character stay in one part, as real encoders do. Parts are
// counted as if concatenated from the start; a text that fits `single` is one segment regardless.
class Packer {
  private units = 0;
  private parts = 1;
  private used = 0;
  constructor(
    private readonly single: number,
    private readonly part: number,
  ) {}

  add(size: number): void {
    this.units += size;
    if (this.used + size > this.part) {
      this.parts++;
      this.used = 0;
    }
    this.used += size;
  }

  result(): { segments: number; units: number } {
    if (this.units === 0) return { segments: 0, units: 0 };
    return { segments: this.units <= this.single ? 1 : this.parts, units: this.units };
  }
}
