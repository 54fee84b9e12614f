// Send: one claimed job through render and the channel, to its outcome. Never throws for a provider.
import { toAppError } from '../../errors.js';
import { classify, type Outcome } from './classify.js';
import type { Candidate, DispatchContext } from './context.js';
import { render } from './render.js';

export async function send(ctx: DispatchContext, { job, profile }: Candidate): Promise<Outcome> {
  try {
    const delivery = render(ctx, job, profile);
    if (!delivery) return { kind: 'skipped' };
    const result = await ctx.sender.send(delivery);
    return result.providerMessageId
      ? { kind: 'sent', providerMessageId: result.providerMessageId }
      : { kind: 'sent' };
  } catch (thrown) {
    const err = toAppError(thrown);
    ctx.log.warn(
      { code: err.code, retryable: err.retryable, channel: ctx.channel, attempt: job.attempt },
      'delivery failed',
    );
    return classify(err, job.attempt, ctx.config.delivery.maxAttempts);
  }
}
