/**
 * The publisher's queue, with a producer whose requests the test completes by hand: which calls share
 * a request is then exact (on the real broker it depends on its speed; test/integration/publisher.test.ts
 * checks what arrives there).
 */
import type { Kafka } from 'kafkajs';
import { createPublisher, publishEach, RecordsRefusedError } from '../../src/kafka/publisher.js';

interface Sent {
  messages: number;
  finish: (err?: Error) => void;
}

function handDrivenKafka(sent: Sent[]): Kafka {
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: ({ topicMessages }: { topicMessages: { messages: unknown[] }[] }) =>
      new Promise<void>((resolve, reject) => {
        sent.push({
          messages: topicMessages.reduce((n, t) => n + t.messages.length, 0),
          finish: (err) => (err ? reject(err) : resolve()),
        });
      }),
  };
  return { producer: () => producer } as unknown as Kafka;
}

const turn = () => new Promise((r) => setImmediate(r));
/** The request sent after the first `seen` ones, once it is sent; undefined once `over()` holds. */
async function nextSend(sent: Sent[], seen: number, over = () => false): Promise<Sent | undefined> {
  while (sent.length <= seen) {
    if (over()) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
  return sent[seen];
}
const record = (i: number) => ({ topic: 't', key: `k${i}`, value: { i } });

describe('publisher queue', () => {
  it('sends the calls of one turn as one request', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const calls = [1, 2, 3].map((i) => publisher.publish([record(i)]));
    await turn();
    expect(sent.map((s) => s.messages)).toEqual([3]);
    sent[0]!.finish();
    await Promise.all(calls);
  });

  it('keeps two requests in flight and merges the calls made meanwhile into the next one', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const settled: number[] = [];
    const call = (i: number) => publisher.publish([record(i)]).then(() => settled.push(i));
    const calls = [call(0)];
    await turn();
    calls.push(call(1));
    await turn();
    for (let i = 2; i < 10; i++) {
      calls.push(call(i));
      await turn();
    }
    // Two in flight; the eight later calls wait.
    expect(sent.map((s) => s.messages)).toEqual([1, 1]);
    sent[0]!.finish();
    await turn();
    expect(settled).toEqual([0]);
    expect(sent.map((s) => s.messages)).toEqual([1, 1, 8]);
    sent[1]!.finish();
    sent[2]!.finish();
    await Promise.all(calls);
    expect(settled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('resends a request whole after a retryable failure, and its calls succeed with the resend', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const merged = [publisher.publish([record(1)]), publisher.publish([record(2)])];
    await turn();
    expect(sent.map((s) => s.messages)).toEqual([2]);
    sent[0]!.finish(new Error('NOT_LEADER'));
    const resent = await nextSend(sent, 1);
    expect(resent?.messages).toBe(2);
    resent!.finish();
    await Promise.all(merged);
  });

  it('fails every call merged into a request that keeps failing, as retryable, and only those', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const first = publisher.publish([record(0)]);
    await turn();
    const merged = [publisher.publish([record(1)]), publisher.publish([record(2)])];
    await turn();
    expect(sent.map((s) => s.messages)).toEqual([1, 2]);
    // The merged request and each of its resends fail (about 6 s of backoff in all).
    let failing = sent[1]!;
    let attempts = 0;
    let settled = false;
    void Promise.allSettled(merged).then(() => {
      settled = true;
    });
    for (;;) {
      failing.finish(new Error('NOT_LEADER'));
      attempts++;
      const next = await nextSend(sent, sent.length, () => settled);
      if (!next) break;
      expect(next.messages).toBe(2);
      failing = next;
    }
    expect(attempts).toBeGreaterThan(1);
    for (const m of merged)
      await expect(m).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true });
    sent[0]!.finish();
    await expect(first).resolves.toBeUndefined();
  }, 30_000);
});

/** A producer that answers at once, refusing (like the broker) any request holding a poisoned record. */
function refusingKafka(
  requests: string[][],
  refuse: (topic: string, value: string) => string | undefined,
): Kafka {
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: async ({
      topicMessages,
    }: {
      topicMessages: { topic: string; messages: { value: Buffer }[] }[];
    }) => {
      requests.push(
        topicMessages.flatMap((t) => t.messages.map((m) => JSON.parse(m.value.toString('utf8')).i)),
      );
      for (const t of topicMessages)
        for (const m of t.messages) {
          const type = refuse(t.topic, m.value.toString('utf8'));
          if (type) {
            // kafkajs wraps the broker's protocol error in a non-retriable one.
            const protocol = Object.assign(new Error('broker says no'), { type, retriable: false });
            throw Object.assign(new Error('broker says no'), { retriable: false, cause: protocol });
          }
        }
    },
  };
  return { producer: () => producer } as unknown as Kafka;
}

describe('publisher refusals', () => {
  it('refuses a record with no JSON (a cycle, a BigInt, undefined) and sends the others, without failing the queue', async () => {
    const requests: string[][] = [];
    const publisher = await createPublisher(refusingKafka(requests, () => undefined));
    const cycle: Record<string, unknown> = { i: 1 };
    cycle.self = cycle;
    const err = await publisher
      .publish([
        record(0),
        { topic: 't', key: 'k', value: cycle },
        { topic: 't', key: 'k', value: 10n },
        { topic: 't', key: 'k', value: undefined },
        record(4),
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordsRefusedError);
    const refused = (err as RecordsRefusedError).refused;
    expect(refused.map((r) => [r.index, r.error.code, r.error.retryable])).toEqual([
      [1, 'KAFKA_RECORD_REJECTED', false],
      [2, 'KAFKA_RECORD_REJECTED', false],
      [3, 'KAFKA_RECORD_REJECTED', false],
    ]);
    expect(refused[0]!.error.message).toMatch(/cannot be written as JSON/);
    expect(refused[2]!.error.message).toMatch(/has no JSON value/);
    expect(requests).toEqual([[0, 4]]);
    // The next call is sent as usual.
    await publisher.publish([record(5)]);
    expect(requests).toEqual([[0, 4], [5]]);
  });

  it('settles a call whose every record is refused without waiting for the requests in flight', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const calls = [publisher.publish([record(0)])];
    await turn();
    calls.push(publisher.publish([record(1)]));
    await turn();
    expect(sent.map((s) => s.messages)).toEqual([1, 1]);
    const huge = { topic: 't', key: 'k', value: { pad: 'x'.repeat(1_100_000) } };
    const err = await publisher.publish([huge]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordsRefusedError);
    // Both requests are still in flight, and nothing more was sent.
    expect(sent.map((s) => s.messages)).toEqual([1, 1]);
    for (const s of sent) s.finish();
    await Promise.all(calls);
  });

  it('refuses a record larger than the broker takes without sending it, and sends the others', async () => {
    const requests: string[][] = [];
    const publisher = await createPublisher(refusingKafka(requests, () => undefined));
    const huge = { topic: 't', key: 'k', value: { i: 1, pad: 'x'.repeat(1_100_000) } };
    const err = await publisher.publish([record(0), huge, record(2)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordsRefusedError);
    const refused = (err as RecordsRefusedError).refused;
    expect(refused.map((r) => [r.index, r.error.code, r.error.retryable])).toEqual([
      [1, 'KAFKA_RECORD_REJECTED', false],
    ]);
    expect(refused[0]!.error.message).toMatch(/max\.message\.bytes/);
    expect(requests).toEqual([[0, 2]]);
  });

  it('finds the one record a merged request was refused for, and fails only its call', async () => {
    const requests: string[][] = [];
    const poisoned = (_t: string, v: string) => (JSON.parse(v).i === 5 ? 'MESSAGE_TOO_LARGE' : undefined);
    const publisher = await createPublisher(refusingKafka(requests, poisoned));
    const calls = [0, 1, 2, 3].map((c) =>
      publishEach(publisher, [record(c * 2 + 0), record(c * 2 + 1)]).then((refused) =>
        refused.map((r) => [c, r.index, r.error.code]),
      ),
    );
    expect((await Promise.all(calls)).flat()).toEqual([[2, 1, 'KAFKA_RECORD_REJECTED']]);
    // The whole request, then halves down to the record alone.
    expect(requests[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(requests).toContainEqual([5]);
  });

  it('refuses every record of a topic the broker refuses as a whole, without sending them one by one', async () => {
    const requests: string[][] = [];
    const denied = (topic: string) => (topic === 'denied' ? 'TOPIC_AUTHORIZATION_FAILED' : undefined);
    const publisher = await createPublisher(refusingKafka(requests, denied));
    const out = [record(0), { ...record(1), topic: 'denied' }, record(2), { ...record(3), topic: 'denied' }];
    const refused = await publishEach(publisher, out);
    expect(refused.map((r) => r.index)).toEqual([1, 3]);
    expect(requests).toEqual([
      [0, 2, 1, 3],
      [0, 2],
      [1, 3],
    ]);
  });

  it('keeps a broker that is away retryable', async () => {
    const requests: string[][] = [];
    const away = () => 'LEADER_NOT_AVAILABLE';
    const publisher = await createPublisher(refusingKafka(requests, away));
    await expect(publishEach(publisher, [record(0)])).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      retryable: true,
    });
  });
});
