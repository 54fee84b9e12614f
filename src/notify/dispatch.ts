import type { DeliveryJob, NotificationRequest } from '../contracts/notification.js';
import type { ChunkHandler, ChunkTail } from '../kafka/consumer-loop.js';
import { Outputs } from '../kafka/dlq.js';
import { claim } from './stages/claim.js';
import {
  type BatchOutput,
  type DispatchContext,
  type DispatcherDeps,
  dispatchContext,
} from './stages/context.js';
import { type Profiles, readProfiles } from './stages/profiles.js';
import { record } from './stages/record.js';
import { jobsFor, readRequest, select } from './stages/select.js';
import { send } from './stages/send.js';
import { commit, dropGoneSubscriptions, settle } from './stages/settle.js';

export type { DeliveryJob, DispatcherDeps };

export interface Dispatcher {
  /** Handler for login-alerts.notifications in this channel's own consumer group. */
  requests: ChunkHandler;
  /** Runs one job (first attempt or retry) and makes its outcome durable. */
  run(job: DeliveryJob): Promise<void>;
}

/**
 * Deliver = select → claim → render → send → classify → record → settle (stages/). The claim is
 * keyed by (alert, channel, recipient); `accepted` is written as soon as the provider accepted, so a
 * crash between claim and send re-sends once the lease lapses, a crash during a send or before its
 * record landed may send it twice (at most SEND_SLOTS such sends per dispatcher), and nothing is
 * sent twice otherwise.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const ctx = dispatchContext(deps);
  return {
    requests: (records) => requests(ctx, records),
    run: async (job) => (await deliver(ctx, [job]))?.finish(),
  };
}

/**
 * Every channel's group reads every request: look at the channels header, then at the channel list,
 * before validating it all, and read profiles only for the requests that are this channel's.
 */
async function requests(
  ctx: DispatchContext,
  records: Parameters<ChunkHandler>[0],
): Promise<ChunkTail | undefined> {
  const mine: NotificationRequest[] = [];
  const malformed = new Outputs();
  for (const r of records) {
    const read = readRequest(r.message, ctx.channel);
    if ('request' in read) mine.push(read.request);
    else if ('error' in read) malformed.add(ctx.dead.record(r, read.error), r);
  }
  if (malformed.records.length > 0) await ctx.dead.publish(malformed);
  if (mine.length === 0) return undefined;
  const profiles = await readProfiles(ctx.store, [...new Set(mine.map((m) => m.account_id))]);
  return deliver(ctx, jobsFor(ctx.channel, mine, profiles), profiles);
}

/**
 * Delivers a batch of jobs with a fixed number of broker round trips, however many jobs: one read
 * (profiles, SMS opt-outs), one claim, the sends (concurrently, within the dispatcher's slots), each
 * accepted send's mark (shared writes, see recorder.ts), one publish, one write. Resolves once the
 * jobs are claimed and their sends started; `finish` then waits for the sends and makes the receipts
 * and the `sent` marks durable (safe to call again: the sends are not repeated).
 */
async function deliver(
  ctx: DispatchContext,
  jobs: DeliveryJob[],
  known?: Profiles,
): Promise<ChunkTail | undefined> {
  if (jobs.length === 0) return undefined;
  const profiles =
    known ?? (await readProfiles(ctx.store, [...new Set(jobs.map((j) => j.request.account_id))]));
  const batch: BatchOutput = { out: [], writes: [], goneSubscriptions: [] };
  const candidates = await select(ctx, jobs, profiles, batch);
  const mine = await claim(ctx, candidates, batch);
  // Started now, awaited by `finish`: the consumer fetches the next requests while these go out, so
  // a slow provider call holds back no other delivery while a slot is free (the offset waits for
  // `finish`).
  const sent = runAll(ctx, mine, async (c) => {
    const outcome = await send(ctx, c);
    await record(ctx, c, outcome);
    settle(ctx, c.job, outcome, batch);
  }).then(() => dropGoneSubscriptions(batch, profiles));
  sent.catch(() => {}); // reported by finish
  return {
    finish: async () => {
      await sent;
      await commit(ctx, batch);
    },
  };
}

/**
 * Runs each item in one of the dispatcher's slots, shared by every batch in flight, so a batch
 * waits for slots rather than adding sends; the first failure is rethrown after all settle.
 */
async function runAll<T>(ctx: DispatchContext, items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let failure: unknown;
  await Promise.all(
    items.map(async (item) => {
      const release = await ctx.slots.acquire();
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      } finally {
        release();
      }
    }),
  );
  if (failure) throw failure;
}
