/** The consumer loop's commits on the real broker: coalesced on a timer, and flushed by stop(). */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { AppError } from '../../src/errors.js';
import { type ConsumerLoopOptions, type InRecord, runConsumerLoop } from '../../src/kafka/consumer-loop.js';
import { silentLogger } from '../../src/observe/logger.js';
import { countingProducer, createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';

const kafka = new Kafka({ clientId: 'loop-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = countingProducer(kafka);

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
});

/** Committed offset per partition (-1: none), and the topic's end offsets. */
async function offsets(groupId: string, topic: string) {
  const [[committed], ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const byPartition = (
    list: { partition: number; offset?: string; high?: string }[],
    field: 'offset' | 'high',
  ) => list.map((p) => [p.partition, Number(p[field])] as const).sort((a, b) => a[0] - b[0]);
  return {
    committed: byPartition(committed!.partitions, 'offset'),
    ends: byPartition(ends, 'high'),
  };
}

/** A private topic of `partitions` partitions, and a consumer loop on it in a group of its own. */
async function startLoop(
  name: string,
  partitions: number,
  opts: Omit<ConsumerLoopOptions, 'kafka' | 'groupId' | 'topics' | 'log'>,
) {
  const topic = uniqueName(name);
  const groupId = uniqueName(`${name}-group`);
  await createTopicsAndWait(admin, [{ topic, numPartitions: partitions }]);
  const loop = await runConsumerLoop({ kafka, groupId, topics: [topic], log: silentLogger(), ...opts });
  return { topic, groupId, loop };
}

/** Waits until partition 0 of `topic` is committed at `offset`. */
async function committedAt(groupId: string, topic: string, offset: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { committed } = await offsets(groupId, topic);
    if (committed[0]![1] === offset) return;
    if (Date.now() > deadline) throw new Error(`not committed at ${offset}: ${JSON.stringify(committed)}`);
    await sleep(50);
  }
}

/** A promise with its resolve. */
function defer() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function produce(topic: string, partitions: number, rounds: number, gapMs: number) {
  for (let r = 0; r < rounds; r++) {
    await producer.send({
      topic,
      messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: `r${r}` })),
    });
    if (gapMs > 0) await sleep(gapMs);
  }
}

describe('consumer loop commits', () => {
  it('commits every partition in one request per interval, not one per batch, and catches up', async () => {
    let batches = 0;
    let handled = 0;
    const { topic, groupId, loop } = await startLoop('loop-commits', 6, {
      commitIntervalMs: 250,
      handler: async (records) => {
        batches++;
        handled += records.length;
      },
    });
    const commits: number[] = [];
    loop.consumer.on(loop.consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'OffsetCommit') commits.push(Date.now());
    });
    try {
      // Produced a little at a time while consumed: many small batches.
      await produce(topic, 6, 40, 20);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { committed, ends } = await offsets(groupId, topic);
        if (handled === 240 && JSON.stringify(committed) === JSON.stringify(ends)) break;
        if (Date.now() > deadline)
          throw new Error(`not caught up: ${JSON.stringify({ handled, committed, ends })}`);
        await sleep(100);
      }
      expect(handled).toBe(240);
      // A commit per batch would be one request per handled batch; coalesced there are a handful.
      expect(batches).toBeGreaterThan(40);
      expect(commits.length).toBeGreaterThan(0);
      expect(commits.length).toBeLessThan(batches / 4);
    } finally {
      await loop.stop();
    }
  });

  it('commits what is pending when stopped, before leaving the group', async () => {
    let handled = 0;
    const { topic, groupId, loop } = await startLoop('loop-stop', 3, {
      commitIntervalMs: 600_000, // never on the timer within this test
      handler: async (records) => {
        handled += records.length;
      },
    });
    let stopped = false;
    try {
      await produce(topic, 3, 10, 0);
      const deadline = Date.now() + 30_000;
      while (handled < 30 && Date.now() < deadline) await sleep(50);
      expect(handled).toBe(30);
      // Processed but not yet committed: the timer has not fired.
      expect((await offsets(groupId, topic)).committed.map(([, o]) => o)).toEqual([-1, -1, -1]);
      await loop.stop();
      stopped = true;
      const { committed, ends } = await offsets(groupId, topic);
      expect(ends.map(([, o]) => o)).toEqual([10, 10, 10]);
      expect(committed).toEqual(ends);
    } finally {
      if (!stopped) await loop.stop();
    }
  });

  it("goes on with the next chunks while a chunk's tail runs, and commits past it only once it finished", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const handled: string[] = [];
    let finishes = 0;
    const { topic, groupId, loop } = await startLoop('loop-tail', 1, {
      chunkSize: 1,
      commitIntervalMs: 50,
      handler: async (records: InRecord[]) => {
        const value = records[0]!.message.value!.toString();
        handled.push(value);
        // The first record's work is still running when the handler returns.
        if (value === 'r0')
          return {
            finish: async () => {
              finishes++;
              await released;
            },
          };
      },
    });
    try {
      await produce(topic, 1, 5, 0);
      const deadline = Date.now() + 30_000;
      while (handled.length < 5 && Date.now() < deadline) await sleep(50);
      expect(handled).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      await sleep(300); // several commit ticks
      expect((await offsets(groupId, topic)).committed).toEqual([[0, -1]]);
      release();
      await committedAt(groupId, topic, 5);
      expect(finishes).toBe(1);
    } finally {
      release();
      await loop.stop();
    }
  });

  it('finishes a tail again after a retryable failure, reports unhealthy meanwhile, then commits', async () => {
    let finishes = 0;
    const health: boolean[] = [];
    const { topic, groupId, loop } = await startLoop('loop-tail-retry', 1, {
      commitIntervalMs: 50,
      onHealth: (ok) => health.push(ok),
      handler: async () => ({
        finish: async () => {
          finishes++;
          if (finishes <= 2) throw new AppError('STORE_UNAVAILABLE', 'store down', { retryable: true });
        },
      }),
    });
    try {
      // One send: one batch, one chunk, one tail.
      await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ partition: 0, value })) });
      await committedAt(groupId, topic, 3);
      expect(finishes).toBe(3);
      expect(health).toEqual([false, false, true]);
    } finally {
      await loop.stop();
    }
  });

  it("does not take back the new owner's commit when a tail finishes after its partition moved", async () => {
    const gate = defer();
    // A's work never finishes before the gate opens; B's is done when its handler returns.
    const handledByA = new Set<number>();
    const first = await startLoop('loop-moved', 2, {
      commitIntervalMs: 50,
      sessionTimeoutMs: 6_000,
      handler: async (records) => {
        for (const r of records) handledByA.add(r.partition);
        return { finish: () => gate.promise };
      },
    });
    const { topic, groupId } = first;
    let second: Awaited<ReturnType<typeof runConsumerLoop>> | undefined;
    try {
      await produce(topic, 2, 1, 0);
      // A has handled both partitions' first record; its tails wait.
      const handledBy = Date.now() + 30_000;
      while (handledByA.size < 2 && Date.now() < handledBy) await sleep(50);
      expect(handledByA.size).toBe(2);
      const assignedToB: number[] = [];
      const handledByB: number[] = [];
      second = await runConsumerLoop({
        kafka,
        groupId,
        topics: [topic],
        log: silentLogger(),
        commitIntervalMs: 50,
        sessionTimeoutMs: 6_000,
        watch: {
          report: (_ref, event) => {
            if (event.event === 'joined') assignedToB.splice(0, Infinity, ...(event.assigned[topic] ?? []));
          },
        },
        handler: async (records) => {
          handledByB.push(...records.map((r) => r.partition));
        },
      });
      const deadline = Date.now() + 30_000;
      while (assignedToB.length !== 1 && Date.now() < deadline) await sleep(50);
      expect(assignedToB).toHaveLength(1);
      const moved = assignedToB[0]!;
      // B owns the partition now and moves its commit past what A read.
      await produce(topic, 2, 2, 0);
      for (;;) {
        const { committed } = await offsets(groupId, topic);
        if (committed[moved]![1] === 3) break;
        if (Date.now() > deadline) throw new Error(`B did not commit: ${JSON.stringify(committed)}`);
        await sleep(50);
      }
      // A's tail for the moved partition finishes now; what it read (offset 1) is behind B's commit.
      gate.resolve();
      await sleep(500); // ten commit ticks
      const { committed, ends } = await offsets(groupId, topic);
      expect(ends.map(([, o]) => o)).toEqual([3, 3]);
      expect(committed[moved]).toEqual([moved, 3]);
      // A's own partition, read again in the new generation, is committed once its tails finished.
      expect(committed).toEqual(ends);
      expect(handledByB.every((p) => p === moved)).toBe(true);
    } finally {
      gate.resolve();
      await second?.stop();
      await first.loop.stop();
    }
  });

  it('commits nothing past a failed chunk from a chunk handled while its seek was pending', async () => {
    const r1Started = defer();
    const r0Failed = defer();
    let r0Finished = false;
    let r0Handled = 0;
    let r1Handled = 0;
    const { topic, groupId, loop } = await startLoop('loop-superseded', 1, {
      chunkSize: 1,
      commitIntervalMs: 20,
      handler: async (records) => {
        const value = records[0]!.message.value!.toString();
        if (value === 'r0' && r0Handled++ === 0) {
          // Fails for good, once, while r1 is being handled: the partition is read again from r0.
          return {
            finish: async () => {
              await r1Started.promise;
              r0Failed.resolve();
              throw new AppError('INTERNAL', 'bug in the tail');
            },
          };
        }
        // The second time, r0's work takes a while: nothing may be committed meanwhile.
        if (value === 'r0')
          return {
            finish: async () => {
              await sleep(600);
              r0Finished = true;
            },
          };
        // r1 is settled once r0's seek is pending, and finishes after the partition was read again.
        if (value === 'r1' && r1Handled++ === 0) {
          r1Started.resolve();
          await r0Failed.promise;
          await sleep(50);
          return { finish: () => sleep(300) };
        }
      },
    });
    const commits: { offset: string; r0Finished: boolean }[] = [];
    loop.consumer.on(loop.consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      for (const t of payload.topics)
        for (const p of t.partitions) commits.push({ offset: String(p.offset), r0Finished });
    });
    try {
      await producer.send({ topic, messages: ['r0', 'r1', 'r2'].map((value) => ({ partition: 0, value })) });
      await committedAt(groupId, topic, 3);
      expect(r0Handled).toBe(2);
      expect(r1Handled).toBe(2);
      expect(commits.length).toBeGreaterThan(0);
      expect(commits.filter((c) => !c.r0Finished)).toEqual([]);
    } finally {
      await loop.stop();
    }
  });

  it('reads a chunk again when its tail fails for good, and commits nothing past it until it finished', async () => {
    const handled: string[] = [];
    let failures = 0;
    const { topic, groupId, loop } = await startLoop('loop-tail-fail', 1, {
      chunkSize: 1,
      commitIntervalMs: 50,
      handler: async (records) => {
        const value = records[0]!.message.value!.toString();
        handled.push(value);
        if (value !== 'r1') return;
        return {
          finish: async () => {
            // The first time only: a failure no retry fixes.
            if (failures++ === 0) throw new AppError('INTERNAL', 'bug in the tail');
          },
        };
      },
    });
    try {
      await producer.send({ topic, messages: ['r0', 'r1', 'r2'].map((value) => ({ partition: 0, value })) });
      await committedAt(groupId, topic, 3);
      // r1 was read again after its tail failed (r2 once or twice, depending on whether the loop had
      // reached it before the seek); r0, committed before, was not.
      expect(handled.filter((v) => v === 'r0')).toHaveLength(1);
      expect(handled.filter((v) => v === 'r1')).toHaveLength(2);
      expect(handled.filter((v) => v === 'r2').length).toBeGreaterThanOrEqual(1);
      expect(handled.indexOf('r1')).toBeLessThan(handled.lastIndexOf('r1'));
      expect(failures).toBe(2);
    } finally {
      await loop.stop();
    }
  });
});
