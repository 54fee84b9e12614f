import { describe, expect, it } from '@jest/globals';
import type { RunningConsumer } from '../../src/kafka/consumer-loop.js';
import { startTogether } from '../../src/kafka/start-together.js';

/** A consumer whose start resolves (or fails) when the test says, recording its stop. */
function pending(name: string, log: string[]) {
  let settle!: { resolve: (r: RunningConsumer) => void; reject: (e: unknown) => void };
  const running = {
    consumer: {} as RunningConsumer['consumer'],
    stop: async () => void log.push(`stop ${name}`),
  };
  const start = () => {
    log.push(`start ${name}`);
    return new Promise<RunningConsumer>((resolve, reject) => {
      settle = { resolve, reject };
    });
  };
  return { start, running, ok: () => settle.resolve(running), fail: (e: unknown) => settle.reject(e) };
}

describe('startTogether', () => {
  it('starts every consumer before any has joined, and returns them all', async () => {
    const log: string[] = [];
    const [a, b] = [pending('a', log), pending('b', log)];
    const together = startTogether([a.start, b.start, async () => [b.running, a.running]]);
    await Promise.resolve();
    expect(log).toEqual(['start a', 'start b']);
    b.ok();
    a.ok();
    expect(await together).toEqual([a.running, b.running, b.running, a.running]);
  });

  it('stops the consumers that started when another fails, and throws the first failure', async () => {
    const log: string[] = [];
    const [a, b, c] = [pending('a', log), pending('b', log), pending('c', log)];
    const together = startTogether([a.start, b.start, c.start]);
    c.fail(new Error('c could not join'));
    b.fail(new Error('b could not join'));
    a.ok();
    await expect(together).rejects.toThrow('b could not join');
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop a']);
  });
});
