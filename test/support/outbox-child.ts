/**
 * Run as `node --import tsx test/support/outbox-child.ts <dir> <body>…` by the outbox test, under a
 * file size limit: sends one SMS delivery per body to the outbox in <dir>, in turn, and prints one
 * JSON line with each send's outcome ("sent", or the error's code).
 */
import { createOutboxChannel } from '../../src/channels/outbox.js';
import type { AppError } from '../../src/errors.js';
import { smsDelivery } from './deliveries.js';

const [dir, ...bodies] = process.argv.slice(2);
const outbox = createOutboxChannel('sms', dir as string);
const outcomes: string[] = [];
for (const body of bodies) {
  outcomes.push(
    await outbox.send(smsDelivery({ body })).then(
      () => 'sent',
      (err: AppError) => `${err.code}${err.retryable ? ' retryable' : ''}`,
    ),
  );
}
await outbox.close?.();
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
