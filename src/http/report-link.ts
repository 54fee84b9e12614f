import { AppError } from '../errors.js';
import type { Publisher } from '../kafka/publisher.js';
import { type LinkClaims, verifyLink } from '../notify/links.js';
import type { ReportedItem } from '../notify/report-pages.js';
import { REPORT_PAGE_HEADERS, REPORT_PAGE_STATUS, renderReportPage } from '../notify/report-pages.js';
import type { Logger } from '../observe/logger.js';
import { buildReportedAlert } from '../pipeline/alerts.js';
import { alertRecords } from '../pipeline/emit.js';
import { readTarget } from '../respond/target.js';
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
  const page = (
    kind: Page,
    locale?: string,
    more: Parameters<typeof renderReportPage>[2] = {},
  ): LinkResponse => ({
    status: REPORT_PAGE_STATUS[kind],
    headers: { ...REPORT_PAGE_HEADERS, 'x-frame-options': 'DENY' },
    body: renderReportPage(kind, locale, { ...pageData, ...more }),
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
      const [used, ...item] = await deps.store.read([usedKey, ...reportedKeys(claims)]);
      if (used) return page('used', claims.locale);
      return page('confirm', claims.locale, { reported: reportedItem(item) });
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
    const item = await deps.store.read(reportedKeys(claims)).catch(() => []);
    return page('confirmed', claims.locale, { reported: reportedItem(item), scope: alert.report_scope });
  };
}

/** The keys that name what a link reports: the alert's report target and the account's profile. */
function reportedKeys(claims: LinkClaims): string[] {
  return [keys.reportTarget(claims.accountId, claims.alertId), keys.profile(claims.accountId)];
}

/** What the pages name, from our own stored alert and the person's time zone; undefined when not kept. */
function reportedItem([targetText, profileText]: (string | undefined)[]): ReportedItem | undefined {
  const target = readTarget(targetText);
  if (!target) return undefined;
  let timeZone: string | undefined;
  try {
    const zone = (JSON.parse(profileText ?? '{}') as { preferences?: { timezone?: unknown } }).preferences
      ?.timezone;
    timeZone = typeof zone === 'string' ? zone : undefined;
  } catch {
    timeZone = undefined;
  }
  return {
    kind: target.kind,
    device: target.device,
    geo: target.geo,
    occurredAt: target.occurred_at,
    timeZone,
    canEndSession: target.idp.session_id !== undefined,
    canRemoveCredential:
      target.idp.credential_id !== undefined && target.reasons.includes('credential_added'),
  };
}
