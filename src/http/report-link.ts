import { AppError } from '../errors.js';
import type { Publisher } from '../kafka/publisher.js';
import { type LinkClaims, verifyLink } from '../notify/links.js';
import { REPORT_PAGE_HEADERS, REPORT_PAGE_STATUS, renderReportPage } from '../notify/report-pages.js';
import type { Logger } from '../observe/logger.js';
import { buildReportedAlert } from '../pipeline/alerts.js';
import { alertRecords } from '../pipeline/emit.js';
import { keys } from '../state/keys.js';
import type { Store } from '../state/store.js';

export interface ReportLinkDeps {
  store: Store;
  publisher: Publisher;
  topics: { loginAlerts: string; loginAlertsOcsf: string };
  secret: string;
  settingsUrl?: string;
  log: Logger;
  now?: () => number;
}

type Page = Parameters<typeof renderReportPage>[0];

/** What a link request is answered with; the route writes it. */
export interface LinkResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Answers GET/HEAD (show) or POST (confirm) for a link token, already percent-decoded; `scope` is the
 * confirm form's choice (`everywhere`: "Sign out everywhere"; otherwise the reported session only).
 */
export type ReportLinkHandler = (
  method: 'GET' | 'HEAD' | 'POST',
  token: string,
  scope?: string,
) => Promise<LinkResponse>;

/**
 * "This wasn't me": GET shows a confirmation page and changes nothing (mail scanners follow links);
 * POST confirms once, remembered in the store, and publishes a `user_reported` alert.
 */
export function createReportLinkHandler(deps: ReportLinkDeps): ReportLinkHandler {
  const now = deps.now ?? Date.now;

  const pageData = deps.settingsUrl ? { settingsUrl: deps.settingsUrl } : {};
  const page = (kind: Page, locale?: string): LinkResponse => ({
    status: REPORT_PAGE_STATUS[kind],
    headers: { ...REPORT_PAGE_HEADERS, 'x-frame-options': 'DENY' },
    body: renderReportPage(kind, locale, pageData),
  });

  return async (method, token, scope) => {
    let claims: LinkClaims;
    try {
      claims = verifyLink(token, deps.secret, now());
    } catch (err) {
      const expired = err instanceof AppError && err.code === 'LINK_EXPIRED';
      return expired ? page('expired') : page('invalid');
    }
    const usedKey = keys.linkUsed(claims.accountId, claims.alertId);
    if (method !== 'POST') {
      const [used] = await deps.store.read([usedKey]);
      return used ? page('used', claims.locale) : page('confirm', claims.locale);
    }
    const ttlMs = Math.max(claims.expiresAt * 1000 - now(), 1_000);
    const [claimed] = await deps.store.claim([{ key: usedKey, value: '1', ttlMs }]);
    if (!claimed) return page('used', claims.locale);
    const alert = buildReportedAlert(
      claims.accountId,
      claims.alertId,
      now(),
      scope === 'everywhere' ? 'everywhere' : 'session',
    );
    try {
      await deps.publisher.publish(alertRecords(alert, deps.topics));
    } catch (err) {
      // Not published: free the link so the person can try again.
      await deps.store.write([{ op: 'del', key: usedKey }]).catch(() => {});
      deps.log.error({ err }, 'user report not published');
      return {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' },
        body: 'We could not record your report just now. Please open the link again in a minute.',
      };
    }
    deps.log.info({ alert_id: alert.alert_id }, 'user reported an alert');
    return page('confirmed', claims.locale);
  };
}
