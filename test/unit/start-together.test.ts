import { describe, expect, it } from '@jest/globals';
import type { RunningConsumer } from '../../src/kafka/consumer-loop.js';
import { startTogether } from '../../src/kafka/start-together.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A consumer whose start resolves (or fails) when the test says; its stop takes a turn to finish. */
function pending(name: string, log: string[]) {
  let settle!: { resolve: (r: RunningConsumer) => void; reject: (e: unknown) => void };
  const running: RunningConsumer = {
    consumer: {} as RunningConsumer['consumer'],
    stop: async () => {
      await tick();
      log.push(`stopped ${name}`);
    },
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
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    b.ok();
    a.ok();
    expect(await together).toEqual([a.running, b.running, b.running, a.running]);
  });

  it('waits for every start, stops each that started, then throws the first failure in order', async () => {
    const log: string[] = [];
    const [a, b, c, d] = [pending('a', log), pending('b', log), pending('c', log), pending('d', log)];
    const together = startTogether([a.start, b.start, c.start, d.start]);
    let failed: unknown;
    together.catch((err: unknown) => {
      failed = err;
      log.push('thrown');
    });
    c.fail(new Error('c could not join'));
    b.fail(new Error('b could not join'));
    a.ok();
    await tick();
    // d joins after the others failed: it is stopped too, not left running.
    expect(failed).toBeUndefined();
    d.ok();
    await expect(together).rejects.toThrow('b could not join');
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d', 'stopped a', 'stopped d', 'thrown']);
  });

  it('treats a start that throws before returning a promise as a failed start', async () => {
    const log: string[] = [];
    const a = pending('a', log);
    const together = startTogether([
      a.start,
      () => {
        throw new Error('no handler');
      },
    ]);
    a.ok();
    await expect(together).rejects.toThrow('no handler');
    expect(log).toEqual(['start a', 'stopped a']);
  });
});
