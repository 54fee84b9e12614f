// Renders one notice (a login alert or the enrolment confirmation) for every channel at once, from
// templates compiled once at start. Pure: data in, strings out; the raw user agent is not an input.
import { fileURLToPath } from 'node:url';
import type { AuthMethod } from '../contracts/auth-event.js';
import type { Device, Geo, Reason, Severity } from '../contracts/login-alert.js';
import { AppError } from '../errors.js';
import { type ResolvedLocale, resolveLocale } from './locale.js';
import type { Change } from './messages.js';
import { oneLine, tidyText } from './sanitize.js';
import { fitSms } from './sms.js';
import { loadTemplateSets, requireTemplates, type Template, type TemplateSet } from './templates.js';
import { buildView } from './view.js';

export const NOTICE_KINDS = ['new_login', 'failed_attempts', 'account_change', 'enrolled'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** The parts of each notice, one template file each: templates/<locale>/<kind>.<part>.hbs */
export const NOTICE_PARTS = ['subject', 'html', 'text', 'sms', 'push-title', 'push-body'] as const;

/** Locale every other locale falls back to. */
export const DEFAULT_LOCALE = 'en';
/** Limits the channels rely on (see FACTS.md): one-line subject, two SMS segments at most, short push. */
export const LIMITS = { subject: 120, smsSegments: 2, pushTitle: 80, pushBody: 240 } as const;

/** What to render: display data only, never the raw user agent or IP. */
export interface RenderInput {
  kind: NoticeKind;
  locale?: string;
  timeZone?: string;
  occurredAt: string;
  product?: string;
  method?: AuthMethod;
  device?: Device;
  geo?: Geo;
  severity: Severity;
  reasons: Reason[];
  failureCount?: number;
  change?: Change;
  reportUrl?: string;
  settingsUrl?: string;
}

/** One notice for every channel, in the locale actually used; each part is rendered when first read. */
export interface Rendered {
  locale: string;
  email: { subject: string; html: string; text: string };
  sms: string;
  push: { title: string; body: string };
}

/** Renders notices; build one at start and share it. */
export interface Renderer {
  render(input: RenderInput): Rendered;
}

/** The templates directory shipped with the package. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Loads and compiles every template once; throws BAD_CONFIG naming any missing template or phrase. */
export function createRenderer(opts: { templatesDir?: string } = {}): Renderer {
  const sets = loadTemplateSets(opts.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  if (!sets.has(DEFAULT_LOCALE))
    throw new AppError('BAD_CONFIG', `templates for "${DEFAULT_LOCALE}" are missing`);
  requireTemplates(
    sets,
    NOTICE_KINDS.flatMap((kind) => NOTICE_PARTS.map((part) => `${kind}.${part}`)),
  );
  const locales = [...sets.keys()];
  const intlOf = (locale: string) => (sets.get(locale) as TemplateSet).messages.intlLocale;
  // Few distinct locales exist in practice; resolving one costs more than the rest of a render.
  const resolved = new Map<string, ResolvedLocale>();
  const localeOf = (requested: string | undefined): ResolvedLocale => {
    const key = requested ?? '';
    let hit = resolved.get(key);
    if (hit === undefined) {
      hit = resolveLocale(requested, locales, DEFAULT_LOCALE, intlOf);
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
      const set = sets.get(locale.template) as TemplateSet;
      const part = (name: (typeof NOTICE_PARTS)[number]) =>
        set.templates.get(`${input.kind}.${name}`) as Template;
      const { view, smsVariants } = buildView(input, set.messages, locale.template, locale.intl);
      // Each channel reads only its own part: render parts on first access, once.
      let email: Rendered['email'] | undefined;
      let sms: string | undefined;
      let push: Rendered['push'] | undefined;
      return {
        locale: locale.template,
        get email() {
          if (!email) {
            const subject = oneLine(part('subject')(view), LIMITS.subject);
            email = { subject, html: part('html')({ ...view, subject }), text: tidyText(part('text')(view)) };
          }
          return email;
        },
        get sms() {
          // Rendered to a generous length first; fitSms then picks the richest variant that fits.
          const smsTemplate = part('sms');
          sms ??= fitSms(
            smsVariants.map((v) => () => oneLine(smsTemplate(v), 1000)),
            LIMITS.smsSegments,
          );
          return sms;
        },
        get push() {
          push ??= {
            title: oneLine(part('push-title')(view), LIMITS.pushTitle),
            body: oneLine(part('push-body')(view), LIMITS.pushBody),
          };
          return push;
        },
      };
    },
  };
  warmUp(renderer, locales);
  return renderer;
}

/**
 * Handlebars compiles a template on its first use: render every part of every notice once now, so the
 * first real alerts after a start are not the slow ones, and a template that cannot render fails the
 * start instead of a delivery.
 */
function warmUp(renderer: Renderer, locales: string[]): void {
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
