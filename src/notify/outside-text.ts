// What text from outside may appear in a notice. A user agent, an identity provider's event and a
// geo database someone else built all choose words we would otherwise print in our own security
// alert, where a phone number or a domain reads as our advice. So each such field is either looked
// up in a closed vocabulary or must pass a strict shape check; a field that fails is left out (the
// caller may put a generic phrase in its place), never escaped and shown. Every check is a bounded
// number of linear scans of a bounded string.
import { type AuthenticatorNames, authenticators } from '../enrich/authenticators.js';
import { browserName, osName, vendorName } from '../enrich/ua-names.js';
import { cap, isDotWord, isLinkLike } from './sanitize.js';

/** The browser's display name when ua-parser-js can report it, '' otherwise. */
export function shownBrowser(name: unknown): string {
  return browserName(name) ?? '';
}

/** The operating system's display name when ua-parser-js can report it, '' otherwise. */
export function shownOs(name: unknown): string {
  return osName(name) ?? '';
}

/** The hardware maker's display name when ua-parser-js can report it, '' otherwise. */
export function shownVendor(name: unknown): string {
  return vendorName(name) ?? '';
}

// Digits and dots only, a major of at most four digits (no release number is longer; four digits
// never make a phone number), at most six parts.
const VERSION = /^(\d{1,4})(?:\.\d{1,8}){0,5}$/;

/** The major of a version made of digits and dots only ("129.0.6668.90" → "129"); '' otherwise. */
export function shownMajor(version: unknown): string {
  const m = typeof version === 'string' ? VERSION.exec(version) : null;
  return m ? String(Number(m[1])) : '';
}

/*
 * A device model (ua-parser-js copies it from the user agent: "SM-G991B", but also "CALL
 * 18005550199 NOW") is shown only when all of these hold:
 *  1. 1–32 characters, all ASCII letters, digits, single spaces and - _ . + ( );
 *  2. at most 4 space-separated tokens, none of them link-like (isLinkLike: "evil.com",
 *     "evil[.]com", "xn--…") or a spelled-out dot ("dot");
 *  3. every word of 4 or more letters (a capitalised, lower-case or all-capitals run) is a known
 *     model word (MODEL_WORDS: makers and product lines, "Galaxy", "Pixel", "Redmi", "Note",
 *     "power"), so "CALL", "TEXT" or "HELPDESK" are not;
 *  4. digits: no run longer than 5 and no more than 6 in all: a dialable number needs 7 or more,
 *     however it is grouped ("1-800-555-0199", "800.555.0199").
 * Anything else, including a model with fullwidth or other non-ASCII characters, is left out; the
 * notice then names the maker alone when it knows it (Xiaomi's all-digit "2201117TG" reads
 * "Xiaomi"), else the kind of device.
 */
const MODEL_SHAPE = /^[A-Za-z0-9._+()-]+(?: [A-Za-z0-9._+()-]+){0,3}$/;
const MAX_MODEL_LENGTH = 32;
// Words: a capitalised or lower-case run, or a run of capitals ("SonyEricssonLT": Sony, Ericsson, LT).
const WORD = /[A-Z]?[a-z]+|[A-Z]+/g;
const MIN_CHECKED_WORD = 4;
const DIGIT_RUN = /\d+/g;
const MAX_DIGIT_RUN = 5;
const MAX_DIGITS = 6;

/** Makers, product lines and their common suffixes, in lower case (rule 3 above). */
const MODEL_WORDS = new Set(
  `
  acer advan alcatel allview amazon android apple aqua aquaris aquos archos ascend asus atrix
  axon bionic blackberry blackview blade bold bravia butterfly camon canvas captiva celkon cherry chromecast
  cloudfone compact coolpad cubot curve defy dell desire doogee droid dual edge elephone energizer
  enjoy ericsson essential evo excite explorer fairphone find fire flip flyer fold galaxy gionee
  gigaset glass google grand hero homepod honor huawei iconia idea ideapad ideatab ideos idol
  incredible infinix inspire intex iphone ipad ipod iris karbonn kindle lava legend lenovo lite
  liquid lumia macintosh metal mate max mediapad mega meizu memo micromax milestone mini mobile moto
  motorola multipad myphone narzo neo nexus nokia nord note nothing nova onetouch oneplus optimus
  oppo oukitel padfone pantech phone pixel pixi play playbook plus pocket poco power prestigio prime
  qmobile quest razr realme redmi reno rhyme samsung sensation sharp shield slide smart sony spark
  spice star style surface tablet tecno thinkpad titanium touch transformer trend ulefone ultra
  umidigi vega vibe vivo watch wiko wildfire xiaomi xoom xperia yoga young zenfone zenpad zero
  `
    .split(/\s+/)
    .filter((word) => word.length > 0),
);

/** The model when it has a model's shape (the rule above), '' otherwise. */
export function shownModel(model: unknown): string {
  if (typeof model !== 'string' || model.length > MAX_MODEL_LENGTH || !MODEL_SHAPE.test(model)) return '';
  for (const token of model.split(' ')) if (isLinkLike(token) || isDotWord(token)) return '';
  for (const [word] of model.matchAll(WORD)) {
    if (word.length >= MIN_CHECKED_WORD && !MODEL_WORDS.has(word.toLowerCase())) return '';
  }
  let digits = 0;
  for (const [run] of model.matchAll(DIGIT_RUN)) {
    if (run.length > MAX_DIGIT_RUN) return '';
    digits += run.length;
  }
  return digits <= MAX_DIGITS ? model : '';
}

/*
 * A place name (a city, region or country from a geo database) is shown only when all of these hold:
 *  1. 1–48 characters in NFC, no control, format (bidi, zero-width), private-use or unassigned
 *     character: words of letters (any script) and combining marks, separated by single spaces;
 *     inside a word also apostrophes (' ’), hyphens, periods and, in a word without Latin letters,
 *     the katakana middle dot (イラン・イスラム); a word may be digits alone ("Paris 15"), may be
 *     wrapped in parentheses ("Frankfurt (Oder)") and may end in a comma ("Washington, D.C.");
 *  2. no word longer than 30 characters, none link-like ("evil.com", "evil。com", "xn--…"), none a
 *     spelled-out dot between two words ("evil dot com");
 *  3. no word mixes Latin, Greek and Cyrillic letters ("раypal" with a Cyrillic "р");
 *  4. at most 2 digits in all ("Paris 15"), of any script (fullwidth "８" counts).
 */
const PLACE_WORD = /^\(?[\p{L}\p{M}\p{Nd}'’.\-‐・]+\)?,?$/u;
const MAX_PLACE_LENGTH = 48;
const MAX_PLACE_WORD = 30;
const MAX_PLACE_DIGITS = 2;
const LETTER_OR_DIGITS = /\p{L}|^\p{Nd}+$/u;
const DIGIT = /\p{Nd}/gu;
const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u];

/** Whether a word has letters of more than one of Latin, Greek and Cyrillic: a homoglyph's mark. */
function mixesScripts(word: string): boolean {
  return SCRIPTS.filter((script) => script.test(word)).length > 1;
}

/** The place name when it has a place name's shape (the rule above), '' otherwise. */
export function shownPlace(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_PLACE_LENGTH * 2) return '';
  const text = name.normalize('NFC');
  if (Array.from(text).length > MAX_PLACE_LENGTH) return '';
  const words = text.split(' ');
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!PLACE_WORD.test(word) || !LETTER_OR_DIGITS.test(word) || Array.from(word).length > MAX_PLACE_WORD)
      return '';
    if (isLinkLike(word)) return '';
    if (isDotWord(word) && i > 0 && i < words.length - 1) return '';
    // Japanese joins words with a middle dot; beside Latin letters it would stand in for a domain's dot.
    if (mixesScripts(word) || (word.includes('・') && SCRIPTS[0]?.test(word))) return '';
  }
  return (text.match(DIGIT)?.length ?? 0) <= MAX_PLACE_DIGITS ? text : '';
}

/*
 * A product name (an event's `product`, or an identity provider's application or realm name) that is
 * not one of ours is shown only when it is 1–32 characters of letters, digits, spaces and . _ -,
 * with at most 4 digits, no link-like word, no spelled-out dot and no word mixing Latin, Greek and
 * Cyrillic letters.
 */
const PRODUCT_SHAPE = /^[\p{L}\p{N}._-]+(?: [\p{L}\p{N}._-]+)*$/u;
const MAX_PRODUCT_LENGTH = 32;
const MAX_PRODUCT_DIGITS = 4;

/** The product name when it has a product name's shape (the rule above), '' otherwise. */
export function shownProduct(name: unknown): string {
  if (typeof name !== 'string' || name.length > MAX_PRODUCT_LENGTH || !PRODUCT_SHAPE.test(name)) return '';
  if ((name.match(DIGIT)?.length ?? 0) > MAX_PRODUCT_DIGITS) return '';
  for (const word of name.split(' '))
    if (isLinkLike(word) || isDotWord(word) || mixesScripts(word)) return '';
  return name;
}

/** Longest authenticator name shown (the list's names are cut to 64 when an alert is built). */
export const MAX_SHOWN_AUTHENTICATOR = 48;

/**
 * The authenticator's name when it is one of the bundled list's names (a closed vocabulary) and
 * none of its words is link-like ("ATKey.Pro" reads as a domain); '' otherwise.
 */
export function shownAuthenticator(name: unknown, names: AuthenticatorNames = authenticators): string {
  if (typeof name !== 'string' || !names.isName(name)) return '';
  for (const word of name.split(' ')) if (isLinkLike(word)) return '';
  return cap(name, MAX_SHOWN_AUTHENTICATOR);
}
