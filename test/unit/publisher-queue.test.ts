/**
 * The publisher's queue, with a producer whose requests the test completes by hand: which calls share
 * a request is then exact (on the real broker it depends on its speed; test/integration/publisher.test.ts
 * checks what arrives there).
 */
import type { Kafka } from 'kafkajs';
import { createPublisher } from '../../src/kafka/publisher.js';

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

  it('fails every call merged into a failed request, as retryable, and only those', async () => {
    const sent: Sent[] = [];
    const publisher = await createPublisher(handDrivenKafka(sent));
    const first = publisher.publish([record(0)]);
    await turn();
    const merged = [publisher.publish([record(1)]), publisher.publish([record(2)])];
    await turn();
    expect(sent.map((s) => s.messages)).toEqual([1, 2]);
    sent[1]!.finish(new Error('NOT_LEADER'));
    for (const m of merged)
      await expect(m).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true });
    sent[0]!.finish();
    await expect(first).resolves.toBeUndefined();
  });
});
