/**
 * One replica's email outbox in a process of its own, for the outbox crash test:
 * `node --import tsx test/support/outbox-writer.ts <dir> <job>…`, where a job is `<prefix>:<from>:<to>`
 * (send `largeEmail(prefix, i)` for i in [from, to), 16 at a time, printing `SENT <prefix> <n>` after
 * each round) or `then:<file>` (wait until the file exists, then run the jobs written in it). Jobs
 * run in order.
 */

import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOutboxChannel } from '../../src/channels/outbox.js';
import { largeEmail } from './deliveries.js';

const [dir, ...jobs] = process.argv.slice(2);
const outbox = createOutboxChannel('email', dir!);
const ROUND = 16;

for (let n = 0; n < jobs.length; n++) {
  const [what, a, b] = jobs[n]!.split(':') as [string, string, string?];
  if (what === 'then') {
    while (!existsSync(a)) await sleep(5);
    jobs.splice(n + 1, 0, ...readFileSync(a, 'utf8').trim().split(/\s+/));
    continue;
  }
  const [from, to] = [Number(a), Number(b)];
  for (let i = from; i < to; i += ROUND) {
    const round = [];
    for (let j = i; j < Math.min(to, i + ROUND); j++) round.push(outbox.send(largeEmail(what, j)));
    await Promise.all(round);
    process.stdout.write(`SENT ${what} ${Math.min(to, i + ROUND) - from}\n`);
  }
}
await outbox.close?.();
