// Select: which requests are this channel's, which jobs they make, and which of those still have
// someone to tell.
import type { ChannelName } from '../../channels/channel.js';
import { CHANNELS } from '../../contracts/account-security.js';
import { decodeJson, formatIssues } from '../../contracts/decode.js';
import {
  CHANNELS_HEADER,
  type DeliveryJob,
  headerChannels,
  type NotificationRequest,
  NotificationRequestSchema,
} from '../../contracts/notification.js';
import type { InRecord } from '../../kafka/consumer-loop.js';
import { keys } from '../../state/keys.js';
import { recipientsFor } from '../recipients.js';
import { type BatchOutput, type Candidate, type DispatchContext, deliveryKey, receipt } from './context.js';
import type { Profiles } from './profiles.js';

/**
 * A notification record as one channel's dispatcher sees it: a request for this channel, nothing to
 * do, or malformed. Every channel's group reads every record: one whose channels header does not
 * name this channel is skipped unparsed, and a malformed one is dead-lettered by one group only, that
 * of the first channel the header names, or else the request names, or else the first channel.
 */
export function readRequest(
  { value, headers }: Pick<InRecord['message'], 'value' | 'headers'>,
  channel: ChannelName,
): { request: NotificationRequest } | { error: { code: string; message: string } } | { skip: true } {
  const declared = headerChannels(headers?.[CHANNELS_HEADER]);
  if (declared !== undefined && !declared.includes(channel)) return { skip: true };
  const json = decodeJson(value, 256 * 1024);
  const object = json.ok && typeof json.value === 'object' && json.value !== null ? json.value : null;
  const listed = object === null ? undefined : (object as { channels?: unknown }).channels;
  const named = Array.isArray(listed) ? CHANNELS.filter((c) => listed.includes(c)) : [];
  const owner = declared?.[0] ?? named[0] ?? CHANNELS[0];
  const mine = owner === channel;
  if (declared === undefined && !named.includes(channel) && !mine) return { skip: true };
  if (!json.ok) return mine ? { error: json } : { skip: true };
  const parsed = NotificationRequestSchema.safeParse(object);
  if (!parsed.success) {
    if (!mine) return { skip: true };
    return { error: { code: 'INVALID_EVENT', message: formatIssues(parsed.error.issues) } };
  }
  const channels = parsed.data.channels;
  if (declared !== undefined && !sameChannels(declared, channels)) {
    if (!mine) return { skip: true };
    return {
      error: {
        code: 'INVALID_EVENT',
        message: `the ${CHANNELS_HEADER} header names ${declared.join(',')} but the request ${channels.join(',') || 'none'}`,
      },
    };
  }
  return channels.includes(channel) ? { request: parsed.data } : { skip: true };
}

function sameChannels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === new Set(b).size && a.every((c) => b.includes(c));
}

/** One first-attempt job per recipient this channel reaches for each request's account. */
export function jobsFor(
  channel: ChannelName,
  requests: NotificationRequest[],
  profiles: Profiles,
): DeliveryJob[] {
  const jobs: DeliveryJob[] = [];
  for (const request of requests) {
    const profile = profiles.get(request.account_id)?.value;
    if (!profile) continue;
    for (const recipient of recipientsFor(channel, profile)) {
      jobs.push({ request, channel, recipient, attempt: 1, due_at: request.requested_at });
    }
  }
  return jobs;
}

/**
 * The jobs still worth sending: the account is enrolled and still lists the recipient, the number
 * has not opted out of SMS (a `suppressed` receipt instead), and each delivery key once per batch.
 */
export async function select(
  ctx: DispatchContext,
  jobs: DeliveryJob[],
  profiles: Profiles,
  batch: BatchOutput,
): Promise<Candidate[]> {
  const optedOut =
    ctx.channel === 'sms'
      ? await ctx.store.read(jobs.map((j) => keys.smsSuppressed(j.request.account_id, j.recipient)))
      : [];
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const [i, job] of jobs.entries()) {
    const profile = profiles.get(job.request.account_id)?.value;
    // Deleted or unenrolled since the alert was decided: nobody to tell any more.
    if (!profile?.advanced_security.enrolled || !recipientsFor(ctx.channel, profile).includes(job.recipient))
      continue;
    if (optedOut[i]) {
      batch.out.push(receipt(ctx, job, 'suppressed', { error_code: 'RECIPIENT_UNSUBSCRIBED' }));
      continue;
    }
    const key = deliveryKey(ctx, job);
    if (seen.has(key)) continue; // the same request twice in one batch
    seen.add(key);
    candidates.push({ job, profile, key });
  }
  return candidates;
}
