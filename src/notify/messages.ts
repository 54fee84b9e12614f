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
    if (typeof value === 'string') {
      const template = hbs.compile(value, { strict: true, noEscape: true, knownHelpersOnly: true });
      return (values: Record<string, string> = {}) => template(values);
    }
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, compile(v)]));
  };
  const { intlLocale, ...phrases } = parsed.data;
  return { ...(compile(phrases) as Omit<Messages, 'intlLocale'>), intlLocale };
}
