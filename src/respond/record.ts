// Record: each action's outcome on login-alerts.responses, then its claim marked done.
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
 * Publishes the records (keyed by account), then marks each claim `done:<status>` for as long as a report
 * could come again; a crash between the two publishes the same record (same response_id) again.
 */
export async function record(ctx: RespondContext, done: { job: Job; outcome: Classified }[]): Promise<void> {
  if (done.length === 0) return;
  const at = ctx.now();
  await ctx.publisher.publish(
    done.map(({ job, outcome }) => ({
      topic: ctx.topics.responses,
      key: job.accountId,
      value: responseRecord(job, outcome, at),
    })),
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
