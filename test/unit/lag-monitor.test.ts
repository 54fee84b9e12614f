/** Stall decisions from successive offset polls, on a fake clock. */

import { AppError } from '../../src/errors.js';
import { type PartitionOffsets, StallTracker } from '../../src/kafka/lag-monitor.js';
import { crashCause } from '../../src/kafka/supervisor.js';

const at = (committed: number, end: number, extra: Partial<PartitionOffsets> = {}): PartitionOffsets => ({
  group: 'g',
  topic: 't',
  partition: 0,
  committed: BigInt(committed),
  low: 0n,
  end: BigInt(end),
  ...extra,
});

describe('stall tracker', () => {
  it('reports a partition with lag whose committed offset has not moved for the stall time, once', () => {
    const t = new StallTracker(60_000);
    expect(t.observe(0, [at(10, 20)]).stalled).toEqual([]);
    expect(t.observe(59_999, [at(10, 25)]).stalled).toEqual([]);
    const first = t.observe(60_000, [at(10, 30)]);
    expect(first.stalled).toEqual([
      { group: 'g', topic: 't', partition: 0, lag: 20, stalled: true, stillSince: 0 },
    ]);
    expect(first.partitions[0]).toMatchObject({ lag: 20, stalled: true });
    // Still stalled later: not reported as a new stall.
    const later = t.observe(120_000, [at(10, 30)]);
    expect(later.stalled).toEqual([]);
    expect(later.partitions[0]!.stalled).toBe(true);
  });

  it('recovers when the committed offset moves, with the time the stall began', () => {
    const t = new StallTracker(1_000);
    t.observe(0, [at(5, 9)]);
    expect(t.observe(1_000, [at(5, 9)]).stalled).toHaveLength(1);
    const moved = t.observe(1_500, [at(6, 9)]);
    expect(moved.recovered).toEqual([
      { group: 'g', topic: 't', partition: 0, lag: 3, stalled: false, stillSince: 0 },
    ]);
    expect(moved.partitions[0]!.stalled).toBe(false);
    // The clock starts again from the move.
    expect(t.observe(2_400, [at(6, 9)]).stalled).toEqual([]);
    expect(t.observe(2_500, [at(6, 9)]).stalled).toHaveLength(1);
  });

  it('never stalls a caught-up partition, however long its offset stays, and recovers one that catches up', () => {
    const t = new StallTracker(1_000);
    t.observe(0, [at(7, 7)]);
    expect(t.observe(10_000, [at(7, 7)]).partitions[0]).toMatchObject({ lag: 0, stalled: false });
    // New records arrive: the stall clock starts from now, not from the last commit.
    expect(t.observe(10_500, [at(7, 9)]).stalled).toEqual([]);
    expect(t.observe(11_500, [at(7, 9)]).stalled).toHaveLength(1);
  });

  it('counts a group without commits from the partition start, and a paced group never stalls', () => {
    const t = new StallTracker(1_000);
    const none = at(-1, 12, { low: 2n });
    const paced = at(0, 4, { group: 'retry', paced: true });
    expect(t.observe(0, [none, paced]).partitions.map((p) => p.lag)).toEqual([10, 4]);
    const later = t.observe(5_000, [none, paced]);
    expect(later.stalled.map((p) => p.group)).toEqual(['g']);
    expect(later.partitions[1]).toMatchObject({ group: 'retry', lag: 4, stalled: false });
  });

  it('keeps partitions apart and forgets groups no longer polled', () => {
    const t = new StallTracker(1_000);
    const p1 = (c: number) => at(c, 10, { partition: 1 });
    t.observe(0, [at(1, 10), p1(1)]);
    const r = t.observe(1_000, [at(2, 10), p1(1)]);
    expect(r.stalled.map((p) => p.partition)).toEqual([1]);
    t.retain(new Set());
    // Forgotten: seen again as new, so its clock starts over.
    expect(t.observe(2_000, [p1(1)]).partitions[0]!.stalled).toBe(false);
  });
});

describe('crash cause', () => {
  it("names the AppError code along the cause chain, else the innermost error's name", () => {
    const chunk = new Error('x', { cause: new AppError('PROCESSING_FAILED', 'bad') });
    expect(
      crashCause(Object.assign(new Error('wrapped', { cause: chunk }), { name: 'KafkaJSNonRetriableError' })),
    ).toBe('PROCESSING_FAILED');
    const codec = Object.assign(new Error('zstd'), { name: 'KafkaJSNotImplemented' });
    expect(
      crashCause(Object.assign(new Error('w', { cause: codec }), { name: 'KafkaJSNonRetriableError' })),
    ).toBe('KafkaJSNotImplemented');
    expect(crashCause('text')).toBe('Error');
  });
});
