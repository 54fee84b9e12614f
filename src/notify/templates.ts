// The one template set (templates/*.hbs, templates/partials/*.hbs) and the message catalogs
// (templates/messages/<locale>.json), loaded and compiled once at start. Templates hold structure;
// every phrase comes from the catalog through two helpers:
//   {{t "key" name=value}}  a catalog message, with the view's values inserted
//   {{v value}}             a view value on its own
// Escaping follows the file name: *.html.hbs output is HTML-escaped (the helpers escape literals and
// values themselves and wrap values in <bdi> for right-to-left catalogs); text, SMS, subject and push
// templates are compiled with noEscape, and right-to-left catalogs isolate values with U+2068/U+2069.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { AppError } from '../errors.js';
import {
  type Catalog,
  type Element,
  escapeHtml,
  escapeLiteral,
  loadCatalogs,
  type MessageValues,
  type OutputMode,
  writeValue,
} from './catalog.js';

/** A template compiled for one locale: a view in, text out. Strict: a missing variable throws. */
export type LocaleTemplate = (view: object) => string;

/** The template set compiled for every locale, and every locale's catalog. */
export interface TemplateSet {
  /** the template names (e.g. "new_login.sms"): every locale has each of them */
  names: ReadonlySet<string>;
  /** locale → name → template */
  byLocale: ReadonlyMap<string, ReadonlyMap<string, LocaleTemplate>>;
  catalogs: ReadonlyMap<string, Catalog>;
}

interface HelperOptions {
  hash: MessageValues;
}

/**
 * Reads and compiles the template set under `dir`; throws BAD_CONFIG when a file is unreadable.
 * `check` sees the catalogs before any template is compiled with them.
 */
export function loadTemplateSet(
  dir: string,
  check: (catalogs: ReadonlyMap<string, Catalog>) => void = () => undefined,
): TemplateSet {
  const catalogs = loadCatalogs(join(dir, 'messages'));
  check(catalogs);
  const partialsDir = join(dir, 'partials');
  const partials = list(partialsDir).map((file) => [file, read(join(partialsDir, file))] as const);
  const files = list(dir).map((file) => [file, read(join(dir, file))] as const);
  // Compiled once per locale, with the locale's messages written into the source (inlineMessages).
  const byLocale = new Map(
    [...catalogs].map(([locale, catalog]) => [locale, compileForLocale(catalog, partials, files)]),
  );
  return { names: new Set(files.map(([file]) => file.slice(0, -'.hbs'.length))), byLocale, catalogs };
}

function compileForLocale(
  catalog: Catalog,
  partials: readonly (readonly [string, string])[],
  files: readonly (readonly [string, string])[],
): Map<string, LocaleTemplate> {
  const html = environment(catalog, 'html');
  const text = environment(catalog, 'text');
  const calls = { html: preparedCall(html), text: preparedCall(text) };
  // Each inlined select branches on a flag ("is__severity__critical"); the flags are set on the view
  // from its own values just before a render, so a branch costs a property lookup, not a helper call.
  const flags = new Map<string, [string, string]>();
  const sources = new Map(
    partials.map(([file, source]) => [partialName(file), messageParameters(source, catalog)] as const),
  );
  const compiled = files.map(([file, source]) => {
    const isHtml = file.endsWith('.html.hbs');
    const expanded = onlyKnownBlocks(
      expandPartials(messageParameters(source, catalog), sources, isHtml, file),
      file,
    );
    const compiledSource = inlineMessages(localeConstants(expanded, catalog), catalog, isHtml, flags);
    const run = (isHtml ? html : text).compile(compiledSource, {
      strict: true,
      noEscape: !isHtml,
      knownHelpers: KNOWN_HELPERS,
      knownHelpersOnly: true,
      data: false,
    });
    // A data variable (@index, @root) needs the data frame a prepared call does not make.
    const call = /\{\{[^}]*@/.test(compiledSource) ? undefined : isHtml ? calls.html : calls.text;
    return [file.slice(0, -'.hbs'.length), run, call] as const;
  });
  const flagged = [...flags];
  const setFlags = (view: Record<string, unknown>) => {
    for (const [flag, [path, key]] of flagged) {
      // A view without the value (another kind of page) gets no flag: a template that still
      // selects on it fails its strict lookup, as a misspelt value should.
      const value = view[path];
      if (value !== undefined && value !== null) view[flag] = String(value) === key;
    }
  };
  return new Map(
    compiled.map(([name, template, call]) => {
      const render = (view: object) => {
        setFlags(view as Record<string, unknown>);
        return template(view, prepared ? call : undefined);
      };
      if (call !== undefined) preparedTemplates.add(render);
      return [name, render];
    }),
  );
}

// A message of text and plain arguments is written into the template's source, its arguments as
// the view lookups they name ({{t "k" product=product}} → "New sign-in to {{product}}"), and
// {{v x}} as {{x}}: a render then pays nothing for the words that never change and no helper call
// for a value. Lookups stay strict and escaped as the helpers would: Handlebars escapes the same
// characters in HTML; right-to-left output keeps the <bdi> or the isolates around each value.
// Catalog text holding Handlebars syntax stays a helper call, so a phrase never becomes template code.
function inlineMessages(
  source: string,
  catalog: Catalog,
  html: boolean,
  flags: Map<string, [string, string]>,
): string {
  const rtl = catalog.dir === 'rtl';
  const lookup = (path: string) =>
    html ? (rtl ? `<bdi>{{${path}}}</bdi>` : `{{${path}}}`) : rtl ? `\u2068{{${path}}}\u2069` : `{{${path}}}`;
  const literal = (text: string) => (/[{}\\]/.test(text) ? undefined : html ? escapeLiteral(text) : text);
  // A select on a view value becomes {{#if is__value__key}}…{{else}}…{{/if}}; plurals stay calls.
  const inline = (elements: readonly Element[], params: ReadonlyMap<string, string>): string | undefined => {
    let out = '';
    for (const el of elements) {
      let piece: string | undefined;
      if (el.type === 0) piece = literal(el.value);
      else if (el.type === 1 && params.has(el.value)) piece = lookup(params.get(el.value) as string);
      else if (el.type === 5 && params.has(el.value)) {
        const path = params.get(el.value) as string;
        const branches = Object.entries(el.options).map(([k, o]) => [k, inline(o.value, params)] as const);
        if (branches.some(([k, b]) => b === undefined || !/^[A-Za-z0-9_]+$/.test(k))) return undefined;
        const keyed = branches.filter(([k]) => k !== 'other');
        const flag = (k: string) => {
          const name = `is__${path}__${k}`;
          flags.set(name, [path, k]);
          return name;
        };
        piece =
          keyed.map(([k, b], i) => `{{${i === 0 ? '#if' : 'else if'} ${flag(k)}}}${b}`).join('') +
          `{{else}}${branches.find(([k]) => k === 'other')?.[1]}{{/if}}`;
        if (keyed.length === 0) piece = branches.find(([k]) => k === 'other')?.[1];
      }
      if (piece === undefined) return undefined;
      out += piece;
    }
    return out;
  };
  return source
    .replace(/\{\{v ([A-Za-z][A-Za-z0-9]*)\}\}/g, (_, path: string) => lookup(path))
    .replace(
      /\{\{t "([A-Za-z0-9_.]+)"((?: [A-Za-z][A-Za-z0-9]*=[A-Za-z][A-Za-z0-9]*)*)\}\}/g,
      (call, key: string, hash: string) => {
        if (!catalog.has(key)) return call;
        const params = new Map(
          hash
            .trim()
            .split(' ')
            .filter(Boolean)
            .map((pair) => pair.split('=') as [string, string]),
        );
        return inline(catalog.ast(key), params) ?? call;
      },
    );
}

// A partial's parameter naming a message (whenLabel="t:details.when") becomes that message's text,
// which must be plain: it is written into the source as a literal.
function messageParameters(source: string, catalog: Catalog): string {
  return source.replace(/="t:([A-Za-z0-9_.]+)"/g, (_, key: string) => {
    const text = catalog.has(key) ? catalog.text(key) : undefined;
    if (text === undefined || /["{}\\]/.test(text))
      throw new AppError(
        'BAD_CONFIG',
        `${catalog.locale}: ${key} must be a plain message (a partial's parameter)`,
      );
    return `="${text}"`;
  });
}

// Partials are written into the templates that use them before compiling, so a render makes one
// template call per part: a Handlebars partial call copies the whole view into a new context. A
// partial's literal parameters ({{> details_html whenLabel="When"}}) replace its {{whenLabel}}, and a
// block partial ({{#> layout_html}}…{{/layout_html}}) takes the block at its {{> @partial-block}}.
// Whitespace follows Handlebars: a partial tag alone on its line leaves no line of its own.
const PARTIAL_PARAMS = '((?: [A-Za-z][A-Za-z0-9]*="[^"{}\\\\]*")*)';
const BLOCK_PARTIAL = new RegExp(
  `\\{\\{#> ([A-Za-z0-9_]+)${PARTIAL_PARAMS}\\}\\}\\n?([\\s\\S]*?)\\{\\{/\\1\\}\\}[ \\t]*\\n?`,
  'g',
);
const PARTIAL = new RegExp(
  `^([ \\t]*)\\{\\{> ([A-Za-z0-9_]+)${PARTIAL_PARAMS}\\}\\}[ \\t]*\\n|\\{\\{> ([A-Za-z0-9_]+)${PARTIAL_PARAMS}\\}\\}`,
  'gm',
);

function expandPartials(
  source: string,
  partials: ReadonlyMap<string, string>,
  html: boolean,
  file: string,
  depth = 0,
): string {
  if (depth > 4) throw new AppError('BAD_CONFIG', `${file}: partials nest more than four deep`);
  const body = (name: string, params: string) => {
    let out = partials.get(name);
    if (out === undefined) throw new AppError('BAD_CONFIG', `${file}: no partial "${name}"`);
    for (const [, key, value] of params.matchAll(/([A-Za-z][A-Za-z0-9]*)="([^"]*)"/g))
      out = out.replaceAll(`{{${key}}}`, html ? escapeHtml(value as string) : (value as string));
    return expandPartials(out, partials, html, file, depth + 1);
  };
  return source
    .replace(BLOCK_PARTIAL, (_, name: string, params: string, block: string) =>
      body(name, params).replace(
        /^[ \t]*\{\{> @partial-block\}\}[ \t]*\n|\{\{> @partial-block\}\}/m,
        () => block,
      ),
    )
    .replace(
      PARTIAL,
      (_, indent: string | undefined, line: string, lineParams: string, name: string, params: string) =>
        line !== undefined ? indent + body(line, lineParams) : body(name, params),
    );
}

// The locale's own constants, written in, so no view carries them: lang, dir, and the sides text
// starts and ends on (start: "left", or "right" in a right-to-left catalog).
function localeConstants(source: string, catalog: Catalog): string {
  const rtl = catalog.dir === 'rtl';
  const constants: Record<string, string> = {
    lang: catalog.locale,
    dir: catalog.dir,
    start: rtl ? 'right' : 'left',
    end: rtl ? 'left' : 'right',
  };
  return source.replace(/\{\{(?:v )?(lang|dir|start|end)\}\}/g, (_, name: string) =>
    escapeLiteral(constants[name] as string),
  );
}

/** Throws BAD_CONFIG naming every template the set lacks. */
export function requireTemplates(set: TemplateSet, names: readonly string[]): void {
  const missing = names.filter((name) => !set.names.has(name)).map((name) => `${name}.hbs`);
  if (missing.length > 0) throw new AppError('BAD_CONFIG', `missing templates: ${missing.join(', ')}`);
}

// One Handlebars environment per locale and kind of output, so an HTML partial is never used in a
// text part and the helpers know their catalog and mode without looking them up per call.
function environment(catalog: Catalog, kind: 'html' | 'text'): typeof Handlebars {
  const hbs = Handlebars.create();
  for (const name of UNUSED_HELPERS) hbs.unregisterHelper(name);
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

/*
 * Handlebars sets every template call up anew: a new object of its helpers, each wrapped in a new
 * closure, new prototype-access rules and a new hooks object. Its own partial calls skip that and
 * take them from the call's options instead (`partial`, an internal option of its runtime). Every
 * call here does the same, with the set-up made once per environment, as Handlebars would make it:
 *  - the helpers unwrapped: the wrapper only adds `options.lookupProperty`, which only the `lookup`
 *    helper reads, and a prepared environment registers if, unless, each, t and v alone (checked);
 *  - the prototype-access rules of a call without options, from Handlebars's own function;
 *  - no hooks: helperMissing and blockHelperMissing are unregistered, so there are none to move;
 *  - the environment's partials and decorators, which the templates do not use (partials are
 *    written in before compiling).
 * A partial call makes no data frame, so a template with a data variable (@index, @root) is called
 * as usual. Prepared only on Handlebars 4.7.10 whose runtime reads these options as read here (its
 * source is compared); otherwise every call sets itself up.
 */
const HANDLEBARS_VERSION = '4.7.10';
const PREPARED_HELPERS = ['each', 'if', 't', 'unless', 'v'];
// Handlebars 4.7.10's runtime, whitespace removed: the options a partial call takes, and that it
// makes a data frame only for a call that is not one.
const EXPECTED_RUNTIME = [
  'else{container.protoAccessControl=options.protoAccessControl;//internaloptioncontainer.helpers=options.helpers;container.partials=options.partials;container.decorators=options.decorators;container.hooks=options.hooks;}',
  'ret._setup(options);if(!options.partial&&templateSpec.useData){data=initData(context,data);}',
];
const fromHandlebars = createRequire(import.meta.url);

function runtimeAsRead(): boolean {
  try {
    const version = (fromHandlebars('handlebars/package.json') as { version: string }).version;
    const vm = (Handlebars as unknown as { VM?: { template?: unknown } }).VM;
    const source = typeof vm?.template === 'function' ? vm.template.toString().replace(/\s+/g, '') : '';
    return version === HANDLEBARS_VERSION && EXPECTED_RUNTIME.every((part) => source.includes(part));
  } catch {
    return false;
  }
}

const RUNTIME_AS_READ = runtimeAsRead();
/** Whether prepared templates take their prepared set-up; tests and benches may turn it off. */
let prepared = RUNTIME_AS_READ;
/** The locale templates whose calls can take a prepared set-up. */
const preparedTemplates = new WeakSet<LocaleTemplate>();

/** Turns the prepared set-up on (where the runtime allows it) or off; returns whether it is on. */
export function usePreparedCalls(on: boolean): boolean {
  prepared = on && RUNTIME_AS_READ;
  return prepared;
}

/** Whether this template's calls take the set-up made once when prepared calls are on. */
export function isPrepared(template: LocaleTemplate): boolean {
  return preparedTemplates.has(template);
}

/** A call's options set up once for an environment; undefined where it cannot be (see above). */
function preparedCall(hbs: typeof Handlebars): Handlebars.RuntimeOptions | undefined {
  if (!RUNTIME_AS_READ || Object.keys(hbs.helpers).sort().join() !== PREPARED_HELPERS.join())
    return undefined;
  let protoAccessControl: object;
  try {
    const access = fromHandlebars('handlebars/dist/cjs/handlebars/internal/proto-access.js') as {
      createProtoAccessControl: (options: object) => object;
    };
    protoAccessControl = access.createProtoAccessControl({});
  } catch {
    return undefined;
  }
  return Object.freeze({
    partial: true,
    helpers: hbs.helpers,
    partials: hbs.partials,
    decorators: hbs.decorators,
    hooks: {},
    protoAccessControl,
  }) as Handlebars.RuntimeOptions;
}

// Only the helpers the templates use stay registered: Handlebars's block helpers if, unless and each,
// and our t and v (a call that sets itself up wraps each one anew). Its other built-ins are
// unregistered and marked unknown, so a template calling one fails to compile at start.
const BLOCK_HELPERS = ['if', 'unless', 'each'];
const UNUSED_HELPERS = ['with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing'];
const KNOWN_HELPERS = {
  t: true,
  v: true,
  ...Object.fromEntries(UNUSED_HELPERS.map((name) => [name, false])),
};

// A section on a view value ({{#name}}…{{/name}}, {{^name}}…) would need blockHelperMissing: the
// templates branch with {{#if}} and {{#unless}} instead, and a section is refused when they load.
function onlyKnownBlocks(source: string, file: string): string {
  for (const [, name] of source.matchAll(/\{\{~?[#^]\s*([^\s}~]+)/g)) {
    if (!BLOCK_HELPERS.includes(name as string))
      throw new AppError(
        'BAD_CONFIG',
        `${file}: {{#${name}}} is a section on a view value; use {{#if ${name}}} or {{#each ${name}}}`,
      );
  }
  return source;
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
