import { KEEP_ALIVE_MS, retryWithBackoff } from '../../src/kafka/retrying.js';

describe('retryWithBackoff', () => {
  it('runs keepAlive every KEEP_ALIVE_MS through a long wait and once before the next try', async () => {
    const beats: number[] = [];
    const started = Date.now();
    let tries = 0;
    const value = await retryWithBackoff(
      async () => {
        if (++tries === 1) throw new Error('busy');
        return 'done';
      },
      {
        firstMs: 10,
        maxMs: 10,
        waitMs: () => KEEP_ALIVE_MS * 1.5,
        failed: () => {},
        keepAlive: async () => void beats.push(Date.now() - started),
      },
    );
    expect(value).toBe('done');
    expect(tries).toBe(2);
    // One beat in the middle of the wait, one after it: never a gap of a whole session.
    expect(beats).toHaveLength(2);
    expect(beats[0]).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
    expect(beats[0]).toBeLessThan(KEEP_ALIVE_MS * 1.5);
  });

  it('waits without beats when there is no keepAlive, and stops when failed throws', async () => {
    await expect(
      retryWithBackoff(
        async () => {
          throw new Error('for good');
        },
        {
          firstMs: 1,
          maxMs: 1,
          failed: (err, attempt) => {
            if (attempt >= 3) throw err;
          },
        },
      ),
    ).rejects.toThrow('for good');
  });
});
