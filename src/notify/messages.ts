// Short localised phrases (method names, reasons, change names, connecting words) live beside the
// templates in templates/<locale>/messages.json, so a translator edits one folder. Each phrase is a
// Handlebars template itself (strict, unescaped: the result is plain text that the HTML templates
// escape when they insert it), so "{{browser}} on {{os}}" is composed without hand-rolled templating.
import type Handlebars from 'handlebars';
import { z } from 'zod';
import { AUTH_METHODS } from '../contracts/auth-event.js';
import { AppError } from '../errors.js';

export const CHANGES = [
  'credential.added',
  'credential.removed',
  'recovery.changed',
  'api_key.created',
] as const;
export type Change = (typeof CHANGES)[number];

/** Reasons that have an explanation in plain words; other reasons are not shown to the person. */
export const EXPLAINED_REASONS = [
  'impossible_travel',
  'unknown_credential',
  'method_downgrade',
  'anonymous_network',
  'hosting_network',
  'new_country',
  'new_city',
  'new_device',
  'failure_burst',
] as const;

const text = z.string().min(1).max(300);
const byMethod = z.object(
  Object.fromEntries(AUTH_METHODS.map((m) => [m, text])) as Record<
    (typeof AUTH_METHODS)[number],
    typeof text
  >,
);
const byChange = z.object(Object.fromEntries(CHANGES.map((c) => [c, text])) as Record<Change, typeof text>);
const byReason = z.object(
  Object.fromEntries(EXPLAINED_REASONS.map((r) => [r, text])) as Record<
    (typeof EXPLAINED_REASONS)[number],
    typeof text
  >,
);

const MessagesSchema = z.strictObject({
  intlLocale: z.string().min(2),
  fallbackProduct: text,
  method: byMethod,
  methodWith: byMethod,
  reason: byReason,
  change: byChange,
  changeShort: byChange,
  /** `{{name}}`: the authenticator's display name. */
  authenticator: z.strictObject({ signedIn: text, added: text }),
  deviceOn: text,
  /** `{{os}}`: what stands in for a device model that is not shown ("Android phone"). */
  phoneOf: text,
  tabletOf: text,
  unknownDevice: text,
  near: text,
  inCountry: text,
  unknownPlace: text,
  privateNetwork: text,
  attempts: z.object({ one: text.optional(), other: text }),
});
type MessagesSource = z.output<typeof MessagesSchema>;

/** A compiled phrase: values in, plain (unescaped) text out. */
export type Phrase = (values?: Record<string, string>) => string;
type Compiled<T> = T extends string ? Phrase : { [K in keyof T]: Compiled<T[K]> };

/** One locale's compiled phrases; `intlLocale` stays a plain string. */
export type Messages = Omit<Compiled<MessagesSource>, 'intlLocale'> & { intlLocale: string };

/** Validates and compiles one locale's messages.json; a bad file stops start-up naming the key. */
export function compileMessages(raw: unknown, hbs: typeof Handlebars, file: string): Messages {
  const parsed = MessagesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'BAD_CONFIG',
      `${file}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const compile = (value: unknown): unknown => {
    if (typeof value === 'string') return compilePhrase(value, hbs);
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, compile(v)]));
  };
  const { intlLocale, ...phrases } = parsed.data;
  return { ...(compile(phrases) as Omit<Messages, 'intlLocale'>), intlLocale };
}

/** Names Handlebars reads as literals or keywords, not as values. */
const HANDLEBARS_WORDS = new Set(['true', 'false', 'null', 'undefined', 'else', 'this']);
/** Text and `{{name}}` placeholders only: no blocks, helpers, paths, escapes or whitespace control. */
const PLAIN_PHRASE = /^(?:[^{}\\]|\{\{[A-Za-z_][A-Za-z0-9_]*\}\})*$/;

/**
 * A phrase as Handlebars renders it (strict, unescaped): a missing value throws, null and undefined
 * print nothing, anything else its string. A phrase of text and plain placeholders, which is almost
 * every phrase, is rendered by joining its parts: Handlebars's per-call set-up costs more than the
 * rest of a short phrase. test/unit/render-phrases.test.ts holds the two to the same output.
 */
export function compilePhrase(source: string, hbs: typeof Handlebars): Phrase {
  const template = hbs.compile(source, { strict: true, noEscape: true, knownHelpersOnly: true });
  const parts = source.split(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/);
  const names = parts.filter((_, i) => i % 2 === 1);
  if (!PLAIN_PHRASE.test(source) || names.some((n) => HANDLEBARS_WORDS.has(n)))
    return (values = {}) => template(values);
  if (parts.length === 1) return () => source;
  return (values = {}) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const name = parts[i]!;
      if (!Object.hasOwn(values, name)) return template(values); // Handlebars says what is missing
      const v: unknown = values[name];
      out += (v === null || v === undefined ? '' : String(v)) + parts[i + 1]!;
    }
    return out;
  };
}
