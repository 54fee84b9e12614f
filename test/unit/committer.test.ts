/**
 * The committer's rules, with a consumer whose joins the test makes and a commit per batch it
 * records (test/integration/consumer-loop.test.ts checks the commits on the real broker).
 */
import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { createCommitter, type OffsetSource } from '../../src/kafka/committer.js';
import { silentLogger } from '../../src/observe/logger.js';

type Request = { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] };

function joiningConsumer() {
  const emitter = new EventEmitter();
  const consumer = {
    events: { GROUP_JOIN: 'join' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    commitOffsets: () => {
      throw new Error('the committer commits through a batch, never with kafkajs retrying');
    },
  } as unknown as Consumer;
  const join = (assigned: Record<string, number[]>) =>
    emitter.emit('join', { payload: { memberAssignment: assigned } });
  return { consumer, join };
}

/** A batch's source whose commits land in `requests` (or fail while `failing` is set). */
function batchOf(
  topic: string,
  partition: number,
  generation: number,
  requests: Request[],
  failing = { on: false },
): OffsetSource {
  return {
    topic,
    partition,
    generation,
    commit: async (offsets) => {
      if (failing.on) throw new Error('coordinator away');
      requests.push(offsets as Request);
    },
  };
}

const flat = (requests: Request[]) =>
  requests.map((r) =>
    r.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}:${p.partition}@${p.offset}`)),
  );

describe('committer', () => {
  it('commits the latest offset of every owned partition in one request', async () => {
    const { consumer, join } = joiningConsumer();
    const committer = createCommitter(consumer, silentLogger(), 60_000);
    const requests: Request[] = [];
    join({ a: [0, 1], b: [0] });
    const g = committer.generation();
    committer.offer(batchOf('a', 0, g, requests), '5');
    committer.offer(batchOf('a', 0, g, requests), '7');
    committer.offer(batchOf('a', 1, g, requests), '2');
    committer.offer(batchOf('b', 0, g, requests), '9');
    await committer.close();
    expect(flat(requests)).toEqual([['a:0@7', 'a:1@2', 'b:0@9']]);
  });

  it('drops an offer from an earlier generation, and one for a partition this member does not own', async () => {
    const { consumer, join } = joiningConsumer();
    const committer = createCommitter(consumer, silentLogger(), 60_000);
    const requests: Request[] = [];
    join({ a: [0, 1] });
    const before = committer.generation();
    const early = batchOf('a', 0, before, requests);
    join({ a: [0] });
    const now = committer.generation();
    expect(now).toBe(before + 1);
    committer.offer(early, '4');
    committer.offer(batchOf('a', 1, now, requests), '3');
    committer.offer(batchOf('a', 0, now, requests), '1');
    await committer.close();
    expect(flat(requests)).toEqual([['a:0@1']]);
  });

  it('drops what is pending at a join: the new generation reads it again', async () => {
    const { consumer, join } = joiningConsumer();
    const committer = createCommitter(consumer, silentLogger(), 60_000);
    const requests: Request[] = [];
    join({ a: [0] });
    committer.offer(batchOf('a', 0, committer.generation(), requests), '6');
    join({ a: [0] });
    await committer.close();
    expect(requests).toEqual([]);
  });

  it('tries a failed commit again on the next tick, unless the generation changed meanwhile', async () => {
    const { consumer, join } = joiningConsumer();
    const committer = createCommitter(consumer, silentLogger(), 5);
    const requests: Request[] = [];
    const failing = { on: true };
    join({ a: [0], b: [0] });
    committer.offer(batchOf('a', 0, committer.generation(), requests, failing), '3');
    await new Promise((r) => setTimeout(r, 30)); // a few failed ticks
    failing.on = false;
    await new Promise((r) => setTimeout(r, 30));
    expect(flat(requests)).toEqual([['a:0@3']]);

    // A commit under way while the member joins again, failing after the join: not tried again.
    let calls = 0;
    let fail!: (err: Error) => void;
    const slow: OffsetSource = {
      topic: 'b',
      partition: 0,
      generation: committer.generation(),
      commit: () => {
        calls++;
        return new Promise<void>((_, reject) => {
          fail = reject;
        });
      },
    };
    committer.offer(slow, '8');
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(1);
    join({ a: [0], b: [0] });
    fail(new Error('rebalance in progress'));
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(1);
    await committer.close();
    expect(flat(requests)).toEqual([['a:0@3']]);
  });
});
