// The one template set (templates/*.hbs, templates/partials/*.hbs) and the message catalogs
// (templates/messages/<locale>.json), loaded and compiled once at start. Templates hold structure;
// every phrase comes from the catalog through two helpers:
//   {{t "key" name=value}}  a catalog message, with the view's values inserted
//   {{v value}}             a view value on its own
// Escaping follows the file name: *.html.hbs output is HTML-escaped (the helpers escape literals and
// values themselves and wrap values in <bdi> for right-to-left catalogs); text, SMS, subject and push
// templates are compiled with noEscape, and right-to-left catalogs isolate values with U+2068/U+2069.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { AppError } from '../errors.js';
import { type Catalog, loadCatalogs, type MessageValues, type OutputMode, writeValue } from './catalog.js';

/** A compiled template: a view and the person's catalog in, text out. Strict: a missing variable throws. */
export type Template = (view: object, catalog: Catalog) => string;

/** The compiled templates (by name, e.g. "new_login.sms") and every locale's catalog. */
export interface TemplateSet {
  templates: ReadonlyMap<string, Template>;
  catalogs: ReadonlyMap<string, Catalog>;
}

interface HelperOptions {
  hash: MessageValues;
}

/** Reads and compiles the template set under `dir`; throws BAD_CONFIG when a file is unreadable. */
export function loadTemplateSet(dir: string): TemplateSet {
  const catalogs = loadCatalogs(join(dir, 'messages'));
  const partialsDir = join(dir, 'partials');
  const partials = list(partialsDir).map((file) => [file, read(join(partialsDir, file))] as const);
  const files = list(dir).map((file) => [file, read(join(dir, file))] as const);
  // Compiled once per locale: a message without values is written into the template's source, so
  // a render pays nothing for the words that never change.
  const byLocale = new Map(
    [...catalogs].map(([locale, catalog]) => [locale, compileForLocale(catalog, partials, files)]),
  );
  const templates = new Map<string, Template>();
  for (const [file] of files) {
    const name = file.slice(0, -'.hbs'.length);
    templates.set(name, (view, catalog) => {
      const compiled = byLocale.get(catalog.locale)?.get(name);
      if (compiled === undefined) throw new AppError('INTERNAL', `no template ${name} for ${catalog.locale}`);
      return compiled(view);
    });
  }
  return { templates, catalogs };
}

function compileForLocale(
  catalog: Catalog,
  partials: readonly (readonly [string, string])[],
  files: readonly (readonly [string, string])[],
): Map<string, (view: object) => string> {
  const html = environment(catalog, 'html');
  const text = environment(catalog, 'text');
  const compile = (file: string, source: string) => {
    const isHtml = file.endsWith('.html.hbs');
    return (isHtml ? html : text).compile(inlineConstants(source, catalog, isHtml), {
      strict: true,
      noEscape: !isHtml,
      knownHelpers: { t: true, v: true },
      knownHelpersOnly: true,
    });
  };
  for (const [file, source] of partials) {
    // "layout.html.hbs" → partial "layout_html"
    (file.endsWith('.html.hbs') ? html : text).registerPartial(partialName(file), compile(file, source));
  }
  return new Map(files.map(([file, source]) => [file.slice(0, -'.hbs'.length), compile(file, source)]));
}

// {{t "key"}} of a message without values becomes its text (escaped in HTML). Text holding
// Handlebars syntax stays a helper call, so a phrase can never turn into template code.
function inlineConstants(source: string, catalog: Catalog, html: boolean): string {
  return source.replace(/\{\{t "([A-Za-z0-9_.]+)"\}\}/g, (call, key: string) => {
    if (!catalog.has(key) || catalog.ast(key).some((el) => el.type !== 0)) return call;
    const value = catalog.format(key, {}, html ? 'html' : 'text');
    return /[{}\\]/.test(value) ? call : value;
  });
}

/** Throws BAD_CONFIG naming every template the set lacks. */
export function requireTemplates(set: TemplateSet, names: readonly string[]): void {
  const missing = names.filter((name) => !set.templates.has(name)).map((name) => `${name}.hbs`);
  if (missing.length > 0) throw new AppError('BAD_CONFIG', `missing templates: ${missing.join(', ')}`);
}

// One Handlebars environment per locale and kind of output, so an HTML partial is never used in a
// text part and the helpers know their catalog and mode without looking them up per call.
function environment(catalog: Catalog, kind: 'html' | 'text'): typeof Handlebars {
  const hbs = Handlebars.create();
  const rtl = catalog.dir === 'rtl';
  const mode: OutputMode = kind === 'html' ? (rtl ? 'html-bdi' : 'html') : rtl ? 'isolated' : 'text';
  if (kind === 'html') {
    hbs.registerHelper(
      't',
      (key: unknown, options: HelperOptions) =>
        new hbs.SafeString(catalog.format(String(key), options.hash, mode)),
    );
    hbs.registerHelper('v', (value: unknown) => new hbs.SafeString(writeValue(shown(value), mode)));
  } else {
    hbs.registerHelper('t', (key: unknown, options: HelperOptions) =>
      catalog.format(String(key), options.hash, mode),
    );
    hbs.registerHelper('v', (value: unknown) => writeValue(shown(value), mode));
  }
  return hbs;
}

// Strict: a value the view lacks is a template bug, never an empty string or "undefined".
function shown(value: unknown): string {
  if (value === undefined || value === null) throw new AppError('INTERNAL', 'a {{v}} value is not defined');
  return String(value);
}

function partialName(file: string): string {
  return file.slice(0, -'.hbs'.length).replace(/[.-]/g, '_');
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.hbs'))
      .sort();
  } catch (err) {
    throw new AppError('BAD_CONFIG', `templates directory ${dir} cannot be read`, { cause: err });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('BAD_CONFIG', `template file ${file} cannot be read`, { cause: err });
  }
}
