/**
 * The outbox under two real writer processes sharing one file, one killed with SIGKILL mid-stream and
 * its deliveries then re-run by the survivor (as after a lapsed claim lease): every delivery must be
 * in the file exactly once as a whole line. The survivor reads the file while the other is writing,
 * so it sees lines half-written: the case that made the rebalance test send one email twice.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAllChildren, type Proc, spawnProc } from '../support/processes.js';

const N = 3_000;
let dir: string;
afterEach(async () => {
  await killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

function writer(name: string, jobs: string[]): Proc {
  return spawnProc(
    name,
    process.execPath,
    ['--import', 'tsx', 'test/support/outbox-writer.ts', dir, ...jobs],
    {
      ...process.env,
    },
  );
}

/** How many `<prefix>-<i>` deliveries the process has reported written. */
const sentSoFar = (p: Proc, prefix: string) =>
  Math.max(0, ...[...p.output().matchAll(new RegExp(`SENT ${prefix} (\\d+)`, 'g'))].map((m) => Number(m[1])));

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test(`a writer killed mid-stream, its deliveries re-run by the other: each written once`, async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-crash-'));
  const next = path.join(dir, 'next-jobs');
  const victim = writer('victim', ['a:0:1000000']); // killed long before the end
  // Writes its own deliveries while the victim writes, then (once the victim is dead) re-runs the
  // victim's: those it finds whole in the file must not be written again.
  const survivor = writer('survivor', [`b:0:${N}`, `then:${next}`]);
  await until('both writing', () => sentSoFar(victim, 'a') >= N / 4 && sentSoFar(survivor, 'b') > 0);
  await victim.kill();
  // Reported after each round of 16; one more round may have been on its way to the file.
  const rerun = sentSoFar(victim, 'a') + 64;
  writeFileSync(next, `a:0:${rerun}`);
  await survivor.exited;
  expect(survivor.child.exitCode).toBe(0);
  expect(sentSoFar(survivor, 'b')).toBe(N);

  const counts = new Map<string, number>();
  let torn = 0;
  for (const line of readFileSync(path.join(dir, 'email.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const id = (JSON.parse(line) as { alert_id: string }).alert_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    } catch {
      torn++; // the victim's last write, cut short (and whatever was glued to it)
    }
  }
  const expected = [
    ...Array.from({ length: rerun }, (_, i) => `a-${i}`),
    ...Array.from({ length: N }, (_, i) => `b-${i}`),
  ];
  expect(expected.filter((id) => counts.get(id) !== 1)).toEqual([]);
  expect(counts.size).toBe(expected.length);
  expect(torn).toBeLessThanOrEqual(1);
}, 120_000);
