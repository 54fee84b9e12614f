// The pages behind a signed "This wasn't me" link. GET shows `confirm`, whose form POSTs back to
// the same URL (a link scanner that prefetches the GET never confirms anything); the result pages
// follow. Plain HTML, one inline style block, no script and no external asset.
import type { AlertKind, Device, Geo, ReportScope } from '../contracts/login-alert.js';
import type { Catalog } from './catalog.js';
import { formatDevice, formatPlace, formatWhen } from './format.js';
import { resolveLocale } from './locale.js';
import { DEFAULT_LOCALE, DEFAULT_TEMPLATES_DIR, loadChecked } from './render.js';
import { type LocaleTemplate, requireTemplates } from './templates.js';

export const REPORT_PAGE_KINDS = ['confirm', 'confirmed', 'invalid', 'expired', 'used'] as const;
export type ReportPageKind = (typeof REPORT_PAGE_KINDS)[number];

/** The HTTP status each page goes out with. */
export const REPORT_PAGE_STATUS: Readonly<Record<ReportPageKind, number>> = {
  confirm: 200,
  confirmed: 200,
  invalid: 400,
  expired: 410,
  used: 409,
};

/** Headers the pages are written for: nothing loads, nothing frames them, the token never leaks as a referrer. */
export const REPORT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** Optional data a page shows; every field may be left out. */
export interface ReportPageData {
  /** where "review your security settings" points */
  settingsUrl?: string;
  /** What is being reported, from our own alert (never from the request): named so the person confirms the right one. */
  reported?: ReportedItem;
  /** On the confirmed page: what the person chose. */
  scope?: ReportScope;
}

/** The reported alert as the pages name it, and what a report of it can end. */
export interface ReportedItem {
  kind: AlertKind;
  device?: Device;
  geo?: Geo;
  occurredAt: string;
  /** the person's time zone (their profile), else UTC */
  timeZone?: string;
  /** the IdP named the session: a report can end it */
  canEndSession: boolean;
  /** the IdP named the added credential: a report can remove it */
  canRemoveCredential: boolean;
}

/** Renders the report pages from templates compiled once. */
export interface ReportPages {
  render(kind: ReportPageKind, locale: string | undefined, data?: ReportPageData): string;
}

/** Loads templates/report_<kind>.html.hbs and the catalogs; throws BAD_CONFIG if one is missing. */
export function createReportPages(opts: { templatesDir?: string } = {}): ReportPages {
  const set = loadChecked(opts.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  requireTemplates(
    set,
    REPORT_PAGE_KINDS.map((k) => `report_${k}.html`),
  );
  const locales = [...set.catalogs.keys()];
  const catalogOf = (l: string) => set.catalogs.get(l) as Catalog;
  return {
    render(kind, locale, data = {}) {
      const resolved = resolveLocale(locale, locales, DEFAULT_LOCALE, (l) => catalogOf(l).intl);
      const catalog = catalogOf(resolved.template);
      const templates = set.byLocale.get(catalog.locale) as ReadonlyMap<string, LocaleTemplate>;
      // An unknown kind is a caller bug; the invalid-link page is the safe answer to show.
      const page =
        templates.get(`report_${kind}.html`) ?? (templates.get('report_invalid.html') as LocaleTemplate);
      return page({
        settingsUrl: httpUrl(data.settingsUrl),
        ...reportedView(data, catalog, resolved.intl),
      });
    },
  };
}

/**
 * Every key the report templates read, always present (they compile strict): what was reported
 * (device, approximate place, time in the person's zone) and which containment the page offers or says
 * is under way.
 */
function reportedView(data: ReportPageData, catalog: Catalog, intlLocale: string) {
  const r = data.reported;
  const everywhere = data.scope === 'everywhere';
  const signIn = r?.kind === 'new_login';
  const credential = r?.kind === 'account_change' && r.canRemoveCredential;
  return {
    hasReported: r !== undefined,
    reportedKind: signIn ? 'signIn' : 'change',
    device: r ? formatDevice(r.device, catalog).long : '',
    where: r ? formatPlace(r.geo, intlLocale, catalog).long : '',
    when: r ? formatWhen(r.occurredAt, r.timeZone, intlLocale).long : '',
    /** the form offers "Sign out everywhere" as a second, explicit choice */
    offersChoice: signIn || credential,
    endingSession: signIn && !everywhere && r?.canEndSession === true,
    endingAll: (signIn || credential) && everywhere,
    removingCredential: credential,
  };
}

let shared: ReportPages | undefined;

/** Renders one report page with the packaged templates (loaded on first use, then kept). */
export function renderReportPage(kind: ReportPageKind, locale?: string, data?: ReportPageData): string {
  shared ??= createReportPages();
  return shared.render(kind, locale, data);
}

function httpUrl(url: string | undefined): string {
  if (url === undefined) return '';
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : '';
  } catch {
    return '';
  }
}
