/**
 * The outbox under real processes: a second live writer on the same directory is refused, a writer
 * killed with SIGKILL mid-stream leaves its lock stale and at most a cut-short last line, and the next
 * writer takes the file over: every line it holds is whole and each of the next writer's deliveries
 * is in it once.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { testEnv } from '../support/pipeline-harness.js';
import { killAllChildren, type Proc, spawnProc } from '../support/processes.js';
import { spawnPipeline } from '../support/reliability.js';

const N = 2_000;
let dir: string | undefined;
afterEach(async () => {
  await killAllChildren();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writer(name: string, prefix: string, from: number, to: number): Proc {
  return spawnProc(
    name,
    process.execPath,
    ['--import', 'tsx', 'test/support/outbox-writer.ts', dir!, prefix, String(from), String(to)],
    process.env,
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

test('a second live writer is refused; after a SIGKILL the next writer takes over with whole lines only', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-crash-'));
  const first = writer('first', 'a', 0, 1_000_000); // killed long before the end
  await until('the first writer under way', () => sentSoFar(first, 'a') >= N / 4);

  const second = writer('second', 'b', 0, N);
  await second.exited;
  expect(second.child.exitCode).toBe(2);
  expect(second.output()).toMatch(new RegExp(`REFUSED OUTBOX_IN_USE .*process ${first.pid}\\b`));
  expect(first.alive()).toBe(true);

  await first.kill();
  const reported = sentSoFar(first, 'a');
  expect(existsSync(path.join(dir!, 'email.jsonl.lock'))).toBe(true); // left behind by the killed writer

  const next = writer('next', 'c', 0, N);
  await next.exited;
  expect(next.output()).toMatch(/^OPEN$/m);
  expect(next.child.exitCode).toBe(0);
  expect(sentSoFar(next, 'c')).toBe(N);
  expect(existsSync(path.join(dir!, 'email.jsonl.lock'))).toBe(false); // released on close

  const text = readFileSync(path.join(dir!, 'email.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const counts = new Map<string, number>();
  let torn = 0;
  for (const line of text.split('\n').slice(0, -1)) {
    try {
      const id = (JSON.parse(line) as { alert_id: string }).alert_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    } catch {
      torn++;
    }
  }
  expect(torn).toBe(0);
  const ids = [...counts.keys()];
  expect(ids.filter((id) => id.startsWith('b-'))).toEqual([]);
  expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
  const firsts = ids.filter((id) => id.startsWith('a-')).length;
  expect(ids.filter((id) => id.startsWith('a-'))).toEqual(Array.from({ length: firsts }, (_, i) => `a-${i}`));
  // Everything the killed writer reported is whole; one more round may have been on its way.
  expect(firsts).toBeGreaterThanOrEqual(reported);
  expect(firsts).toBeLessThanOrEqual(reported + 16);
  expect(ids.filter((id) => id.startsWith('c-'))).toEqual(Array.from({ length: N }, (_, i) => `c-${i}`));
}, 120_000);

test('a second `login-alerts run` on the same OUTBOX_DIR fails its start with OUTBOX_IN_USE before any group that acts on events joins', async () => {
  const env = testEnv('memory', { LOG_LEVEL: 'error' });
  dir = env.OUTBOX_DIR;
  // spawnPipeline gives each process <OUTBOX_DIR>/<name>: the same name, the same directory. The
  // second has groups of its own, so whether it ever joined one shows in the broker's list.
  const first = await spawnPipeline('replica', env);
  const groupId = `${env.KAFKA_GROUP_ID}-second`;
  const second = spawnPipeline('replica', { ...env, KAFKA_GROUP_ID: groupId });
  await expect(second).rejects.toThrow(/exited during start-up[\s\S]*OUTBOX_IN_USE/);
  expect(first.alive()).toBe(true);
  await first.stop();
  const admin = new Kafka({
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const acting = [groupId, `${groupId}.deliver.email`, `${groupId}.retry`, `${groupId}.respond`];
    expect(
      groups
        .map((g) => g.groupId)
        .filter((g) => acting.includes(g) || g.startsWith(`${groupId}.alert-feed.`)),
    ).toEqual([]);
  } finally {
    await admin.disconnect();
  }
}, 120_000);
