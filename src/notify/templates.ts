// Loads every template set under templates/<locale>/ once, at start. Each locale gets its own
// Handlebars environment so partials ("layout_html", "actions_text") never leak between languages.
// Escaping follows the file name: only *.html.hbs is HTML-escaped; text, SMS, subject and push
// templates are compiled with noEscape, because their values are already sanitised plain text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { AppError } from '../errors.js';
import { compileMessages, type Messages } from './messages.js';

/** A compiled template: a view in, text out. Strict: a missing variable throws. */
export type Template = (view: object) => string;

/** One locale's compiled templates (by name, e.g. "new_login.sms") and phrases. */
export interface TemplateSet {
  locale: string;
  messages: Messages;
  templates: ReadonlyMap<string, Template>;
}

/** Reads and compiles every locale directory under `dir`; throws BAD_CONFIG when a set is unreadable. */
export function loadTemplateSets(dir: string): ReadonlyMap<string, TemplateSet> {
  let locales: string[];
  try {
    locales = readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isDirectory())
      .sort();
  } catch (err) {
    throw new AppError('BAD_CONFIG', `templates directory ${dir} cannot be read`, { cause: err });
  }
  return new Map(locales.map((locale) => [locale, loadSet(join(dir, locale), locale)]));
}

/** Throws BAD_CONFIG naming every template a set lacks. */
export function requireTemplates(sets: ReadonlyMap<string, TemplateSet>, names: readonly string[]): void {
  const missing: string[] = [];
  for (const [locale, set] of sets) {
    for (const name of names) if (!set.templates.has(name)) missing.push(`${locale}/${name}.hbs`);
  }
  if (missing.length > 0) throw new AppError('BAD_CONFIG', `missing templates: ${missing.join(', ')}`);
}

function loadSet(dir: string, locale: string): TemplateSet {
  const hbs = Handlebars.create();
  const compile = (file: string, source: string): Template =>
    hbs.compile(source, { strict: true, noEscape: !file.endsWith('.html.hbs'), knownHelpersOnly: true });
  const partialsDir = join(dir, 'partials');
  for (const file of safeList(partialsDir)) {
    // "layout.html.hbs" → partial "layout_html"
    hbs.registerPartial(partialName(file), compile(file, read(join(partialsDir, file))));
  }
  const templates = new Map<string, Template>();
  for (const file of safeList(dir))
    templates.set(file.slice(0, -'.hbs'.length), compile(file, read(join(dir, file))));
  const messagesFile = join(dir, 'messages.json');
  let raw: unknown;
  try {
    raw = JSON.parse(read(messagesFile));
  } catch (err) {
    throw new AppError('BAD_CONFIG', `${messagesFile} is not valid JSON`, { cause: err });
  }
  return { locale, messages: compileMessages(raw, hbs, messagesFile), templates };
}

function partialName(file: string): string {
  return file.slice(0, -'.hbs'.length).replace(/[.-]/g, '_');
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.hbs'))
      .sort();
  } catch {
    return [];
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('BAD_CONFIG', `template file ${file} cannot be read`, { cause: err });
  }
}
