/**
 * Load and observation helpers for test/integration/kafka-cluster.test.ts: the test's own producer,
 * sign-ins paced over a scenario, a rolling restart, the readiness of a group of replicas over time,
 * and the Redis keys a run wrote.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { type PipelineProc, waitUntil } from './reliability.js';

/**
 * A producer for the test's own input: kafkajs's retries off (a send it retries after one broker
 * failed can skip partitions whose leader moved, see src/kafka/publisher.ts) and each failed send
 * retried whole after a pause. A record may be written twice across a failover, never lost.
 */
export function wholeRetryProducer(kafka: Kafka): Producer {
  const inner = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  const send: Producer['send'] = async (record) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inner.send(record);
      } catch (err) {
        if (attempt >= 240) throw err;
        await sleep(250);
      }
    }
  };
  return { ...inner, send };
}

/**
 * Produces `records` in small batches every 250 ms, spread over `spanMs`, until `finished()` says the
 * scenario's action is over; then the rest goes at once. Sign-ins flow for as long as the action runs.
 */
export async function produceWhile(
  producer: Producer,
  topic: string,
  records: { key: string; value: string }[],
  spanMs: number,
  finished: () => boolean,
): Promise<void> {
  const batch = Math.max(1, Math.ceil(records.length / (spanMs / 250)));
  let i = 0;
  while (i < records.length && !finished()) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + batch) });
    i += batch;
    await sleep(250);
  }
  for (; i < records.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + 500) });
  }
}

/** Polls `check` every 100 ms from now on; `at()` is the ms from now to its first true, or undefined. */
export function firstTimeThat(check: () => boolean) {
  const started = Date.now();
  let at: number | undefined;
  const timer = setInterval(() => {
    if (at === undefined && check()) at = Date.now() - started;
  }, 100);
  return {
    at(): number | undefined {
      clearInterval(timer);
      return at;
    },
  };
}

/** Deletes every Redis key of the accounts whose ids start with `accountPrefix`; returns how many. */
export async function deleteAccountKeys(redisUrl: string, accountPrefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `la:{${accountPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) deleted += await redis.del(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** GET <admin>/readyz: true on 200. */
export async function adminReady(proc: PipelineProc): Promise<boolean> {
  try {
    const res = await fetch(`${proc.adminUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Samples the admin `/readyz` of the current replicas every `everyMs` and keeps the longest stretch
 * in which none of them was ready. `replicas()` is read at each sample (restarts replace members).
 */
export function watchGroupReadiness(replicas: () => readonly PipelineProc[], everyMs = 100) {
  let running = true;
  let downSince: number | undefined;
  let longestGapMs = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const states = await Promise.all(replicas().map(adminReady));
      samples++;
      const now = Date.now();
      if (states.some(Boolean)) {
        if (downSince !== undefined) longestGapMs = Math.max(longestGapMs, now - downSince);
        downSince = undefined;
      } else downSince ??= now;
      await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<{ longestGapMs: number; samples: number }> {
      running = false;
      await loop;
      if (downSince !== undefined) longestGapMs = Math.max(longestGapMs, Date.now() - downSince);
      return { longestGapMs, samples };
    },
  };
}

/** How long one replica's restart took, phase by phase. */
export interface RestartTimes {
  stopMs: number;
  startMs: number;
  readyMs: number;
  stableMs: number;
  totalMs: number;
}

/**
 * Restarts the replicas one at a time: SIGTERM, `spawn(i)` in its place, and on to the next once the
 * new one is ready on its admin listener and the group is stable with as many members as before.
 */
export async function restartOneByOne(
  replicas: PipelineProc[],
  admin: Admin,
  groupId: string,
  spawn: (i: number) => Promise<PipelineProc>,
): Promise<RestartTimes[]> {
  const times: RestartTimes[] = [];
  for (const i of replicas.keys()) {
    const began = Date.now();
    await replicas[i]!.stop(30_000);
    const stopped = Date.now();
    replicas[i] = await spawn(i);
    const started = Date.now();
    await waitUntil('the new replica ready', () => adminReady(replicas[i]!), 90_000);
    const ready = Date.now();
    await waitUntil(
      `${replicas.length} members in a stable group`,
      async () => {
        const group = (await admin.describeGroups([groupId])).groups[0];
        return group?.state === 'Stable' && group.members.length === replicas.length;
      },
      90_000,
    );
    const now = Date.now();
    times.push({
      stopMs: stopped - began,
      startMs: started - stopped,
      readyMs: ready - started,
      stableMs: now - ready,
      totalMs: now - began,
    });
  }
  return times;
}
