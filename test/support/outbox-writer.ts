/**
 * One process writing an email outbox, for the outbox crash test:
 * `node --import tsx test/support/outbox-writer.ts <dir> <prefix> <from> <to>` opens the outbox,
 * prints `OPEN` (or `REFUSED <code>` and exits 2 when it cannot have it), then sends
 * `largeEmail(prefix, i)` for i in [from, to), 16 at a time, printing `SENT <prefix> <n>` after each
 * round.
 */

import { createOutboxChannel } from '../../src/channels/outbox.js';
import { AppError } from '../../src/errors.js';
import { largeEmail } from './deliveries.js';

const [dir, prefix, a, b] = process.argv.slice(2) as [string, string, string, string];
const [from, to] = [Number(a), Number(b)];
const outbox = createOutboxChannel('email', dir);
const ROUND = 16;

try {
  await outbox.open?.();
} catch (err) {
  process.stdout.write(
    `REFUSED ${err instanceof AppError ? err.code : String(err)} ${(err as Error).message}\n`,
  );
  process.exit(2);
}
process.stdout.write('OPEN\n');
for (let i = from; i < to; i += ROUND) {
  const round = [];
  for (let j = i; j < Math.min(to, i + ROUND); j++) round.push(outbox.send(largeEmail(prefix, j)));
  await Promise.all(round);
  process.stdout.write(`SENT ${prefix} ${Math.min(to, i + ROUND) - from}\n`);
}
await outbox.close?.();
