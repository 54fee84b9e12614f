// One ICU MessageFormat catalog per locale: templates/messages/<locale>.json holds every phrase a
// notice or report page shows, so a translator edits one file and the templates hold structure only.
// intl-messageformat parses each message once, at load; formatting walks the parsed message with
// cached Intl.PluralRules and Intl.NumberFormat, so a render never parses and never builds a formatter.
// Only literals, plain arguments, select, plural and `#` are allowed: dates, places and lists are
// formatted through Intl before they reach a message, so every value here is display-ready text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import IntlMessageFormat from 'intl-messageformat';
import { AppError } from '../errors.js';

/** Values a message takes: display-ready strings, or numbers for plurals. */
export type MessageValues = Readonly<Record<string, string | number>>;

/**
 * How a message's output is written: `text` as is; `isolated` with each inserted value between
 * U+2068 and U+2069 (right-to-left text, so a Latin name does not reorder the sentence); `html`
 * escaped; `html-bdi` escaped with each value in `<bdi>`.
 */
export type OutputMode = 'text' | 'isolated' | 'html' | 'html-bdi';

/** One locale's compiled messages. */
export interface Catalog {
  /** the catalog's name: a BCP 47 tag, the file name without .json */
  locale: string;
  /** the tag Intl formats dates, numbers and country names with by default */
  intl: string;
  dir: 'ltr' | 'rtl';
  keys: readonly string[];
  has(key: string): boolean;
  /** The message as plain text (no escaping, no isolation). Throws INTERNAL on an unknown key or a missing value. */
  text(key: string, values?: MessageValues): string;
  /** The message written for `mode`. */
  format(key: string, values: MessageValues | undefined, mode: OutputMode): string;
  /** The parsed message, for checks. */
  ast(key: string): readonly Element[];
}

/** The parts of a parsed ICU message this renderer accepts (intl-messageformat's AST, types 0, 1, 5, 6, 7). */
export type Element =
  | { type: 0; value: string }
  | { type: 1; value: string }
  | { type: 5; value: string; options: Record<string, { value: Element[] }> }
  | {
      type: 6;
      value: string;
      offset: number;
      pluralType: 'cardinal' | 'ordinal';
      options: Record<string, { value: Element[] }>;
    }
  | { type: 7 };

type Piece = (values: MessageValues, mode: OutputMode, n: number) => string;

const FSI = '\u2068';
const PDI = '\u2069';
const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;',
};

/** The same escaping Handlebars applies, so a phrase reads the same whoever escapes it. */
export function escapeHtml(text: string): string {
  return /[&<>"'`=]/.test(text) ? text.replace(/[&<>"'`=]/g, (c) => HTML_ESCAPES[c] as string) : text;
}

/** Catalog text in HTML: it is ours and only ever lands in element content or double-quoted attributes. */
export function escapeLiteral(text: string): string {
  return /[&<>"]/.test(text) ? text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c] as string) : text;
}

/** An inserted value written for `mode`. */
export function writeValue(value: string, mode: OutputMode): string {
  if (value === '') return value;
  switch (mode) {
    case 'text':
      return value;
    case 'isolated':
      return FSI + value + PDI;
    case 'html':
      return escapeHtml(value);
    case 'html-bdi':
      return `<bdi>${escapeHtml(value)}</bdi>`;
  }
}

/** Reads every templates/messages/<locale>.json under `dir`; throws BAD_CONFIG naming the file and key. */
export function loadCatalogs(dir: string): ReadonlyMap<string, Catalog> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new AppError('BAD_CONFIG', `message catalogs directory ${dir} cannot be read`, { cause: err });
  }
  return new Map(
    files.map((file) => {
      const locale = file.slice(0, -'.json'.length);
      return [locale, compileCatalog(locale, readJson(join(dir, file)), join(dir, file))];
    }),
  );
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('BAD_CONFIG', `${file} is not readable JSON`, { cause: err });
  }
}

/** Compiles one catalog: `{ intl, dir, messages: { key: ICU message } }`. */
export function compileCatalog(locale: string, raw: unknown, where = locale): Catalog {
  const source = raw as { intl?: unknown; dir?: unknown; messages?: unknown };
  if (typeof source !== 'object' || source === null) throw bad(where, '(root)', 'must be an object');
  const intl = source.intl;
  if (typeof intl !== 'string' || Intl.NumberFormat.supportedLocalesOf([intl]).length !== 1)
    throw bad(where, 'intl', 'must be a locale Intl supports');
  if (source.dir !== 'ltr' && source.dir !== 'rtl') throw bad(where, 'dir', 'must be "ltr" or "rtl"');
  const messages = source.messages;
  if (typeof messages !== 'object' || messages === null) throw bad(where, 'messages', 'must be an object');
  const plural = new Intl.PluralRules(intl);
  const number = new Intl.NumberFormat(intl);
  const asts = new Map<string, Element[]>();
  const compiled = new Map<string, Piece>();
  for (const [key, text] of Object.entries(messages)) {
    if (typeof text !== 'string' || text.length === 0 || text.length > 2000)
      throw bad(where, key, 'must be a non-empty string of at most 2000 characters');
    let ast: Element[];
    try {
      // Tags are text here: markup lives in the templates, never in a phrase.
      ast = new IntlMessageFormat(text, intl, undefined, { ignoreTag: true }).getAst() as Element[];
    } catch (err) {
      throw bad(where, key, `is not an ICU message: ${(err as Error).message}`);
    }
    asts.set(key, ast);
    compiled.set(key, compileElements(ast, { where, key, plural, number }));
  }
  const get = (key: string): Piece => {
    const piece = compiled.get(key);
    if (piece === undefined)
      throw new AppError('INTERNAL', `message "${key}" is not in the ${locale} catalog`);
    return piece;
  };
  return {
    locale,
    intl,
    dir: source.dir,
    keys: [...compiled.keys()],
    has: (key) => compiled.has(key),
    text: (key, values = {}) => get(key)(values, 'text', 0),
    format: (key, values = {}, mode) => get(key)(values, mode, 0),
    ast: (key) => asts.get(key) ?? [],
  };
}

interface Context {
  where: string;
  key: string;
  plural: Intl.PluralRules;
  number: Intl.NumberFormat;
}

// Literals are written once per mode at compile time. Most messages are text and plain arguments
// only: those are joined from precomputed parts, without a closure per element.
function compileElements(elements: readonly Element[], ctx: Context): Piece {
  if (elements.every((el) => el.type === 0 || el.type === 1)) return compileFlat(elements, ctx);
  const pieces = elements.map((el) => compileElement(el, ctx));
  if (pieces.length === 1) return pieces[0] as Piece;
  return (values, mode, n) => {
    let out = '';
    for (const piece of pieces) out += piece(values, mode, n);
    return out;
  };
}

function compileFlat(elements: readonly Element[], ctx: Context): Piece {
  // texts[i] precedes names[i]; the last text follows the last name.
  const texts: string[] = [''];
  const names: string[] = [];
  for (const el of elements) {
    if (el.type === 0) texts[texts.length - 1] += el.value;
    else if (el.type === 1) {
      names.push(el.value);
      texts.push('');
    }
  }
  const htmlTexts = texts.map(escapeLiteral);
  if (names.length === 0) {
    const [plain, html] = [texts[0] as string, htmlTexts[0] as string];
    return (_, mode) => (mode === 'html' || mode === 'html-bdi' ? html : plain);
  }
  return (values, mode) => {
    const lits = mode === 'html' || mode === 'html-bdi' ? htmlTexts : texts;
    let out = lits[0] as string;
    for (let i = 0; i < names.length; i++)
      out += writeValue(display(argument(values, names[i] as string, ctx), ctx), mode) + lits[i + 1];
    return out;
  };
}

function compileElement(el: Element, ctx: Context): Piece {
  switch (el.type) {
    case 0: {
      const plain = el.value;
      const html = escapeLiteral(plain);
      return (_, mode) => (mode === 'html' || mode === 'html-bdi' ? html : plain);
    }
    case 1: {
      const name = el.value;
      return (values, mode) => writeValue(display(argument(values, name, ctx), ctx), mode);
    }
    case 5:
      return compileSelect(el, ctx);
    case 6:
      return compilePlural(el, ctx);
    case 7:
      return (_, mode, n) => writeValue(ctx.number.format(n), mode === 'isolated' ? 'text' : mode);
    default:
      throw bad(
        ctx.where,
        ctx.key,
        `uses an ICU element of type ${(el as { type: number }).type}, which is not supported here`,
      );
  }
}

function compileSelect(el: Extract<Element, { type: 5 }>, ctx: Context): Piece {
  const options = compileOptions(el.options, ctx);
  const other = options.get('other') as Piece;
  const name = el.value;
  return (values, mode, n) => (options.get(String(argument(values, name, ctx))) ?? other)(values, mode, n);
}

function compilePlural(el: Extract<Element, { type: 6 }>, ctx: Context): Piece {
  const options = compileOptions(el.options, ctx);
  const other = options.get('other') as Piece;
  const rules =
    el.pluralType === 'ordinal'
      ? new Intl.PluralRules(ctx.plural.resolvedOptions().locale, { type: 'ordinal' })
      : ctx.plural;
  const name = el.value;
  const offset = el.offset ?? 0;
  return (values, mode) => {
    const value = Number(argument(values, name, ctx));
    if (!Number.isFinite(value)) throw new AppError('INTERNAL', `${ctx.key}: "${name}" must be a number`);
    const exact = options.get(`=${value}`);
    const shown = value - offset;
    return (exact ?? options.get(rules.select(shown)) ?? other)(values, mode, shown);
  };
}

function compileOptions(options: Record<string, { value: Element[] }>, ctx: Context): Map<string, Piece> {
  if (!Object.hasOwn(options, 'other'))
    throw bad(ctx.where, ctx.key, 'has a plural or select without "other"');
  return new Map(Object.entries(options).map(([k, v]) => [k, compileElements(v.value, ctx)]));
}

// Strict, like the templates: a value left out or undefined (a misspelt view key) throws.
function argument(values: MessageValues, name: string, ctx: Context): string | number {
  const value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (value === undefined || value === null)
    throw new AppError('INTERNAL', `message "${ctx.key}" needs the value "${name}"`);
  return value;
}

function display(value: string | number, ctx: Context): string {
  return typeof value === 'number' ? ctx.number.format(value) : value;
}

function bad(where: string, key: string, rule: string): AppError {
  return new AppError('BAD_CONFIG', `${where}: ${key} ${rule}`);
}

/**
 * What makes a set of catalogs incomplete or unsafe, measured against the source catalog: a key it
 * lacks or adds, a placeholder the source's message does not have, a plural without `other` or
 * without a category the locale's plural rules use (Russian's "few" and "many", Arabic's six).
 */
export function catalogProblems(catalogs: ReadonlyMap<string, Catalog>, sourceLocale: string): string[] {
  const source = catalogs.get(sourceLocale);
  if (source === undefined) return [`no ${sourceLocale} catalog`];
  const problems: string[] = [];
  for (const [locale, catalog] of catalogs) {
    const categories = new Intl.PluralRules(catalog.intl).resolvedOptions().pluralCategories;
    for (const key of source.keys) if (!catalog.has(key)) problems.push(`${locale}: lacks ${key}`);
    for (const key of catalog.keys) {
      if (!source.has(key)) {
        problems.push(`${locale}: has ${key}, which ${sourceLocale} does not`);
        continue;
      }
      const allowed = new Set(placeholders(source.ast(key)));
      for (const name of placeholders(catalog.ast(key)))
        if (!allowed.has(name))
          problems.push(`${locale}: ${key} uses {${name}}, which ${sourceLocale} does not`);
      for (const plural of plurals(catalog.ast(key))) {
        if (!Object.hasOwn(plural.options, 'other'))
          problems.push(`${locale}: ${key} has a plural without "other"`);
        for (const category of categories)
          if (!Object.hasOwn(plural.options, category))
            problems.push(`${locale}: ${key} has a plural without "${category}"`);
      }
    }
  }
  return problems;
}

/** Every literal of a message, concatenated (every branch of every select and plural). */
export function literalText(elements: readonly Element[]): string {
  let out = '';
  for (const el of elements) {
    if (el.type === 0) out += el.value;
    else if (el.type === 5 || el.type === 6)
      for (const option of Object.values(el.options)) out += literalText(option.value);
  }
  return out;
}

function placeholders(elements: readonly Element[]): string[] {
  const names: string[] = [];
  for (const el of elements) {
    if (el.type === 1 || el.type === 5 || el.type === 6) names.push(el.value);
    if (el.type === 5 || el.type === 6)
      for (const option of Object.values(el.options)) names.push(...placeholders(option.value));
  }
  return names;
}

function plurals(elements: readonly Element[]): Extract<Element, { type: 6 }>[] {
  const found: Extract<Element, { type: 6 }>[] = [];
  for (const el of elements) {
    if (el.type === 6) found.push(el);
    if (el.type === 5 || el.type === 6)
      for (const option of Object.values(el.options)) found.push(...plurals(option.value));
  }
  return found;
}
