import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { compilePhrase } from '../../src/notify/messages.js';

// compilePhrase renders plain phrases without Handlebars; it must print exactly what Handlebars
// (strict, unescaped) prints, and fail where it fails.
const templatesDir = new URL('../../templates/', import.meta.url);
const phrases: string[] = [];
const walk = (v: unknown): void => {
  if (typeof v === 'string') phrases.push(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
};
for (const locale of readdirSync(templatesDir))
  walk(JSON.parse(readFileSync(new URL(`${locale}/messages.json`, templatesDir), 'utf8')));

const hbs = Handlebars.create();
const reference = (source: string) =>
  hbs.compile(source, { strict: true, noEscape: true, knownHelpersOnly: true });
const namesOf = (source: string) =>
  [...source.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
const outcome = (fn: () => string) => {
  try {
    return { ok: fn() };
  } catch {
    return { threw: true };
  }
};

describe('compilePhrase', () => {
  it('prints what Handlebars prints for every phrase of every locale, with any values', () => {
    expect(phrases.length).toBeGreaterThan(50);
    const withPlaceholders = phrases.filter((p) => namesOf(p).length > 0);
    expect(withPlaceholders.length).toBeGreaterThan(5);
    fc.assert(
      fc.property(
        fc.constantFrom(...phrases),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.constant(null))),
        fc.array(fc.oneof(fc.string(), fc.constantFrom('{{x}}', '\\{{', '', '0', null)), { maxLength: 6 }),
        (source, extra, values) => {
          // Null reaches a phrase as a value (Handlebars prints nothing for it).
          const given = { ...extra } as Record<string, string>;
          for (const [i, name] of namesOf(source).entries())
            given[name] = (values.length > 0 ? values[i % values.length] : '') as string;
          expect(outcome(() => compilePhrase(source, hbs)(given))).toEqual(
            outcome(() => reference(source)(given)),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('agrees on made-up phrases too: blocks, escapes, literals and missing values', () => {
    const sources = [
      'plain',
      'a {{x}} b {{y}}',
      '{{x}}{{x}}',
      '{{#if x}}yes{{/if}}',
      '\\{{x}}',
      '{{ x }}',
      '{{true}}',
      '{{this}}',
      '{{x.y}}',
      '{{{x}}}',
      '{x}',
      '',
    ];
    for (const source of sources)
      for (const values of [{}, { x: 'X' }, { x: 'X', y: null }, { x: '' }] as Record<string, string>[])
        expect(outcome(() => compilePhrase(source, hbs)(values))).toEqual(
          outcome(() => reference(source)(values)),
        );
  });
});
