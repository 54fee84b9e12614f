// Render: sign the report link, render the notice in the account's locale, build the delivery.
import type { Delivery } from '../../channels/channel.js';
import type { AccountSecurity } from '../../contracts/account-security.js';
import type { DeliveryJob } from '../../contracts/notification.js';
import { AppError } from '../../errors.js';
import { reportUrl, signLink } from '../links.js';
import { buildDelivery } from '../recipients.js';
import type { DispatchContext } from './context.js';

/**
 * The delivery for one job, or undefined when its recipient is no longer there to build one for.
 * Pure over the job and the profile: whatever it throws is a PROCESSING_FAILED that no retry can
 * fix, so the job is dead-lettered at once.
 */
export function render(
  ctx: DispatchContext,
  job: DeliveryJob,
  profile: AccountSecurity,
): Delivery | undefined {
  const { config, now } = ctx;
  try {
    const expiresAt = Math.floor((now() + config.links.ttlMs) / 1000);
    const locale = profile.preferences?.locale;
    const claims = { alertId: job.request.id, accountId: job.request.account_id, expiresAt, locale };
    const url = reportUrl(config.links.publicBaseUrl, signLink(claims, config.links.secret));
    const { alert, containment } = job.request;
    const settingsUrl = `${config.links.publicBaseUrl}/settings`;
    const rendered = ctx.renderer.render({
      kind: job.request.kind,
      locale,
      timeZone: profile.preferences?.timezone,
      occurredAt: job.request.occurred_at,
      product: alert?.product,
      method: alert?.auth_method,
      device: alert?.device ?? containment?.device,
      geo: alert?.geo ?? containment?.geo,
      severity: alert?.severity ?? 'info',
      reasons: alert?.reasons ?? [],
      failureCount: alert?.failure_count,
      authenticator: alert?.authenticator,
      change: alert?.event_type as never,
      containment,
      // A containment notice reports on a report: it offers no link to report it again.
      reportUrl: containment ? undefined : url,
      settingsUrl,
    });
    return buildDelivery(
      ctx.channel,
      job.recipient,
      job.request,
      profile,
      rendered,
      containment ? settingsUrl : url,
    );
  } catch (err) {
    const code = err instanceof AppError ? `${err.code}: ` : '';
    throw new AppError('PROCESSING_FAILED', `rendering failed: ${code}${(err as Error)?.message ?? err}`, {
      retryable: false,
      cause: err,
    });
  }
}
