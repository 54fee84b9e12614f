import { type LoginAlert, LoginAlertSchema } from '../contracts/login-alert.js';
import type { ChunkHandler, ChunkLoop, InRecord } from '../kafka/consumer-loop.js';
import { keys } from '../state/keys.js';
import { act } from './act.js';
import { claim } from './claim.js';
import { classify } from './classify.js';
import { type Job, job, type RespondContext, type RespondDeps, respondContext } from './context.js';
import { record } from './record.js';
import { selectActions } from './select.js';
import { readTarget, targetOf } from './target.js';

export type { RespondDeps };

/**
 * Respond = remember → select → claim → act → classify → record, over the security topic: every alert a
 * report could contain has its target remembered; every `user_reported` alert has its actions selected
 * from the remembered target, claimed per (alert, action), performed at the IdP, classified and recorded
 * on login-alerts.responses. At least once: a crash anywhere before the record repeats the action (every
 * action is idempotent at the IdP), and nothing recorded is done again.
 */
export function createRespondHandler(deps: RespondDeps): ChunkHandler {
  const ctx = respondContext(deps);
  return async (records, loop?: ChunkLoop) => {
    const alerts = decode(ctx, records);
    await remember(ctx, alerts);
    const jobs = await select(
      ctx,
      alerts.filter((a) => a.kind === 'user_reported'),
    );
    const mine = await claim(ctx, jobs);
    const done = await Promise.all(
      mine.map(async (j) => ({ job: j, outcome: classify(await act(ctx, j, loop?.heartbeat)) })),
    );
    await record(ctx, done);
  };
}

/** Our own topic, but read defensively: what does not parse is skipped (the alert feed does the same). */
function decode(ctx: RespondContext, records: InRecord[]): LoginAlert[] {
  const out: LoginAlert[] = [];
  for (const r of records) {
    try {
      const parsed = LoginAlertSchema.safeParse(JSON.parse(r.message.value?.toString('utf8') ?? 'null'));
      if (parsed.success) out.push(parsed.data);
      else ctx.log.warn({ partition: r.partition, offset: r.message.offset }, 'not a LoginAlert; skipped');
    } catch {
      ctx.log.warn({ partition: r.partition, offset: r.message.offset }, 'not JSON; skipped');
    }
  }
  return out;
}

/**
 * Keeps what a report of each containable alert would end, written while the account's profile exists
 * (a tombstone removes it with the rest of the account's keys). A report later in the same partition
 * (same account) always finds it: the writes land before this chunk's reports are read.
 */
async function remember(ctx: RespondContext, alerts: LoginAlert[]): Promise<void> {
  const writes = [];
  for (const alert of alerts) {
    const target = targetOf(alert);
    if (!target) continue;
    writes.push({
      op: 'set' as const,
      key: keys.reportTarget(alert.account_id, alert.alert_id),
      value: JSON.stringify(target),
      ttlMs: ctx.targetTtlMs,
      guard: keys.profile(alert.account_id),
    });
  }
  if (writes.length > 0) await ctx.store.write(writes);
}

/** The actions of each report, from the target remembered for the alert it reports. */
async function select(ctx: RespondContext, reports: LoginAlert[]): Promise<Job[]> {
  const named = reports.filter((r) => r.reported_alert_id !== undefined);
  if (named.length === 0) return [];
  const stored = await ctx.store.read(
    named.map((r) => keys.reportTarget(r.account_id, r.reported_alert_id!)),
  );
  const jobs: Job[] = [];
  for (const [i, report] of named.entries()) {
    const target = readTarget(stored[i]);
    for (const action of selectActions(target, report.report_scope))
      jobs.push(job(report.account_id, report.reported_alert_id!, target!, action));
  }
  // One report per alert reaches here (the link is single-use), but a replayed chunk may hold it twice.
  return [...new Map(jobs.map((j) => [j.key, j])).values()];
}
