// Renders one notice (a login alert or the enrolment confirmation) for every channel at once, from
// templates compiled once at start. Pure: data in, strings out; the raw user agent is not an input.
import { AppError } from '../errors.js';
import { packagePath } from '../package-files.js';
import { type Catalog, catalogProblems, literalText } from './catalog.js';
import { type ResolvedLocale, resolveLocale } from './locale.js';
import { CODE_KEYS } from './messages.js';
import { oneLine, tidyText } from './sanitize.js';
import { fitSms, toGsm } from './sms.js';
import { type LocaleTemplate, loadTemplateSet, requireTemplates, type TemplateSet } from './templates.js';

type Parts = Record<(typeof NOTICE_PARTS)[number], LocaleTemplate>;

import { DEFAULT_LOCALE, LIMITS, NOTICE_KINDS, NOTICE_PARTS, type Rendered, type Renderer } from './types.js';
import { buildView } from './view.js';

export {
  DEFAULT_LOCALE,
  LIMITS,
  NOTICE_KINDS,
  NOTICE_PARTS,
  type NoticeKind,
  type Rendered,
  type Renderer,
  type RenderInput,
} from './types.js';

/** The templates directory shipped with the package. */
export const DEFAULT_TEMPLATES_DIR = packagePath('templates');

/** Loads and compiles every template once; throws BAD_CONFIG naming any missing template or phrase. */
export function createRenderer(opts: { templatesDir?: string } = {}): Renderer {
  const set = loadChecked(opts.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  requireTemplates(
    set,
    NOTICE_KINDS.flatMap((kind) => NOTICE_PARTS.map((part) => `${kind}.${part}`)),
  );
  const locales = [...set.catalogs.keys()];
  const catalogOf = (locale: string) => set.catalogs.get(locale) as Catalog;
  // A locale whose SMS texts are all GSM-7 (after folding) keeps its SMS in GSM-7; others are UCS-2 anyway.
  const gsmSms = new Map(
    locales.map((l) => {
      const catalog = catalogOf(l);
      const sms = catalog.keys.filter((k) => k.endsWith('.sms')).map((k) => literalText(catalog.ast(k)));
      return [l, toGsm(sms.join(' ')) !== undefined];
    }),
  );
  // Every part of every kind, per locale, looked up once here rather than per render.
  const partsOf = new Map(
    locales.map((l) => {
      const compiled = set.byLocale.get(l) as ReadonlyMap<string, LocaleTemplate>;
      const kinds = NOTICE_KINDS.map(
        (kind) =>
          [
            kind,
            Object.fromEntries(NOTICE_PARTS.map((p) => [p, compiled.get(`${kind}.${p}`) as LocaleTemplate])),
          ] as [string, Parts],
      );
      return [l, new Map(kinds)];
    }),
  );
  // Few distinct locales exist in practice; resolving one costs more than the rest of a render.
  const resolved = new Map<string, ResolvedLocale>();
  const localeOf = (requested: string | undefined): ResolvedLocale => {
    const key = requested ?? '';
    let hit = resolved.get(key);
    if (hit === undefined) {
      hit = resolveLocale(requested, locales, DEFAULT_LOCALE, (l) => catalogOf(l).intl);
      if (resolved.size < 1000) resolved.set(key, hit);
    }
    return hit;
  };

  const renderer: Renderer = {
    render(input) {
      if (!(NOTICE_KINDS as readonly string[]).includes(input.kind)) {
        throw new AppError('INTERNAL', `unknown notice kind "${String(input.kind)}"`);
      }
      const locale = localeOf(input.locale);
      const catalog = catalogOf(locale.template);
      const part = (partsOf.get(locale.template) as ReadonlyMap<string, Parts>).get(input.kind) as Parts;
      const { view, pushView, smsVariants } = buildView(
        input,
        catalog,
        locale.intl,
        gsmSms.get(locale.template) as boolean,
      );
      // Each channel reads only its own part: render parts on first access, once.
      let email: Rendered['email'] | undefined;
      let sms: string | undefined;
      let push: Rendered['push'] | undefined;
      return {
        locale: locale.template,
        get email() {
          if (!email) {
            view.subject = oneLine(part.subject(view), LIMITS.subject);
            email = { subject: view.subject, html: part.html(view), text: tidyText(part.text(view)) };
          }
          return email;
        },
        get sms() {
          // Rendered to a generous length first; fitSms then picks the richest variant that fits.
          const smsTemplate = part.sms;
          sms ??= fitSms(
            smsVariants().map((v) => () => oneLine(smsTemplate(v()), 1000)),
            LIMITS.smsSegments,
          );
          return sms;
        },
        get push() {
          push ??= {
            title: oneLine(part['push-title'](view), LIMITS.pushTitle),
            body: oneLine(part['push-body'](pushView()), LIMITS.pushBody),
          };
          return push;
        },
      };
    },
  };
  renderEveryTemplateOnce(renderer, locales);
  return renderer;
}

/**
 * The template set with its catalogs checked: complete against the default locale, and holding every
 * key the code looks up. Throws BAD_CONFIG naming the first problems.
 */
export function loadChecked(dir: string): TemplateSet {
  return loadTemplateSet(dir, (catalogs) => {
    const source = catalogs.get(DEFAULT_LOCALE);
    if (source === undefined) throw new AppError('BAD_CONFIG', `the "${DEFAULT_LOCALE}" catalog is missing`);
    const problems = [
      ...CODE_KEYS.filter((key) => !source.has(key)).map((key) => `${DEFAULT_LOCALE}: lacks ${key}`),
      ...catalogProblems(catalogs, DEFAULT_LOCALE),
    ];
    if (problems.length > 0)
      throw new AppError('BAD_CONFIG', `message catalogs: ${problems.slice(0, 10).join('; ')}`);
  });
}

/**
 * Handlebars compiles a template on its first use: render every part of every notice once now, so the
 * first real alerts after a start are not the slow ones, and a template that cannot render fails the
 * start instead of a delivery.
 */
function renderEveryTemplateOnce(renderer: Renderer, locales: string[]): void {
  for (const locale of locales) {
    for (const kind of NOTICE_KINDS) {
      try {
        const r = renderer.render({
          kind,
          locale,
          timeZone: 'UTC',
          occurredAt: '2026-01-01T00:00:00Z',
          severity: 'warning',
          reasons: ['new_device'],
          failureCount: 3,
          reportUrl: 'https://example.invalid/r',
          settingsUrl: 'https://example.invalid/settings',
        });
        void [r.email, r.sms, r.push];
      } catch (err) {
        throw new AppError(
          'BAD_CONFIG',
          `template ${locale}/${kind} does not render: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }
}
