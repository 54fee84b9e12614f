// Record: each action's outcome on login-alerts.responses, then its claim marked done.
import {
  type NotificationRequest,
  notificationRecord,
  notificationRequest,
} from '../contracts/notification.js';
import type { ResponseRecord } from '../contracts/records.js';
import { DONE } from './claim.js';
import type { Classified } from './classify.js';
import type { Job, RespondContext } from './context.js';

/** The one builder of response records. */
export function responseRecord(job: Job, outcome: Classified, at: number): ResponseRecord {
  const record: ResponseRecord = {
    response_id: job.responseId,
    alert_id: job.alertId,
    account_id: job.accountId,
    idp: job.target.idp.provider,
    action: job.action,
    status: outcome.status,
    at: new Date(at).toISOString(),
  };
  if (outcome.error_code !== undefined) record.error_code = outcome.error_code;
  return record;
}

/**
 * The containment notice of one recorded outcome, on the reported alert's channels; none when the alert
 * went to no channel. Its id derives from the response id, so a replay requests the same notice.
 */
export function containmentRequest(
  job: Job,
  outcome: Classified,
  at: number,
): NotificationRequest | undefined {
  const channels = job.target.channels ?? [];
  if (channels.length === 0) return undefined;
  const containment: NonNullable<NotificationRequest['containment']> = {
    response_id: job.responseId,
    action: job.action,
    status: outcome.status,
  };
  if (job.target.device) containment.device = job.target.device;
  if (job.target.geo) containment.geo = job.target.geo;
  return notificationRequest({
    contained: {
      account_id: job.accountId,
      channels,
      occurred_at: job.target.occurred_at,
      requested_at: new Date(at).toISOString(),
      containment,
    },
  });
}

/**
 * Publishes the records and their containment notices (keyed by account), then marks each claim `done:<status>` for as long as a report
 * could come again; a crash between the two publishes the same record (same response_id) again.
 */
export async function record(ctx: RespondContext, done: { job: Job; outcome: Classified }[]): Promise<void> {
  if (done.length === 0) return;
  const at = ctx.now();
  await ctx.publisher.publish(
    done.flatMap(({ job, outcome }) => {
      const notice = containmentRequest(job, outcome, at);
      const out = [
        { topic: ctx.topics.responses, key: job.accountId, value: responseRecord(job, outcome, at) },
      ];
      return notice ? [...out, notificationRecord(ctx.topics.notifications, notice)] : out;
    }),
  );
  await ctx.store.write(
    done.map(({ job, outcome }) => ({
      op: 'set' as const,
      key: job.key,
      value: `${DONE}${outcome.status}`,
      ttlMs: ctx.targetTtlMs,
    })),
  );
  for (const { job, outcome } of done) {
    ctx.metrics?.responses.inc({ idp: job.target.idp.provider, action: job.action, status: outcome.status });
    const fields = {
      alert_id: job.alertId,
      action: job.action,
      idp: job.target.idp.provider,
      status: outcome.status,
    };
    if (outcome.status === 'failed')
      ctx.log.error({ ...fields, code: outcome.error_code }, 'containment failed');
    else ctx.log.info(fields, 'containment done');
  }
}
