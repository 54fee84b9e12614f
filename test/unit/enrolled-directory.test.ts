import fc from 'fast-check';
import { EnrolledDirectory } from '../../src/pipeline/enrolled-directory.js';
import { profile } from '../support/events.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 14, minute)).toISOString();
const value = (account: string, enrolled: boolean, minute: number) =>
  JSON.stringify({ ...profile(account), advanced_security: { enrolled }, updated_at: at(minute) });

/** A directory fed in offset order on partition 0, as a consumer feeds it. */
function fed() {
  const d = new EnrolledDirectory();
  let offset = 0;
  const put = (key: string, v: Buffer | string | null) =>
    d.apply({ partition: 0, offset: String(offset++), key, value: v });
  return { d, put };
}

describe('EnrolledDirectory', () => {
  it('holds enrolled accounts, forgets unenrolled and tombstoned ones', () => {
    const { d, put } = fed();
    put('a', value('a', true, 1));
    put('b', value('b', true, 1));
    put('c', value('c', false, 1));
    expect([d.mayBeEnrolled('a'), d.mayBeEnrolled('b'), d.mayBeEnrolled('c')]).toEqual([true, true, false]);
    put('a', value('a', false, 2));
    put('b', null);
    expect([d.mayBeEnrolled('a'), d.mayBeEnrolled('b'), d.size]).toEqual([false, false, 0]);
    expect(d.mayBeEnrolled('never-seen')).toBe(false);
  });

  it('keeps what it had for a record the profile view would dead-letter', () => {
    const { d, put } = fed();
    put('a', value('a', true, 1));
    for (const bad of [
      '{',
      'null',
      '{"account_id":"a"}',
      value('other', false, 5),
      Buffer.from([0xff, 0xfe]),
    ])
      put('a', bad);
    put('', value('', true, 1));
    expect(d.mayBeEnrolled('a')).toBe(true);
    expect(d.size).toBe(1);
  });

  it('ignores a profile older than the one it holds, as the store does', () => {
    const { d, put } = fed();
    put('a', value('a', true, 5));
    put('a', value('a', false, 4));
    expect(d.mayBeEnrolled('a')).toBe(true);
    put('a', value('a', false, 5)); // same time: applied, as the store applies it
    expect(d.mayBeEnrolled('a')).toBe(false);
  });

  it('skips a record at or below the highest offset applied on its partition', () => {
    const d = new EnrolledDirectory();
    d.apply({ partition: 3, offset: '10', key: 'a', value: value('a', true, 1) });
    // A second feeder still behind replays an older tombstone: already applied, skipped.
    d.apply({ partition: 3, offset: '7', key: 'a', value: null });
    d.apply({ partition: 3, offset: '10', key: 'a', value: null });
    expect(d.mayBeEnrolled('a')).toBe(true);
    // Other partitions keep their own order.
    d.apply({ partition: 4, offset: '0', key: 'b', value: value('b', true, 1) });
    expect(d.mayBeEnrolled('b')).toBe(true);
  });

  it('never says "not enrolled" where the store ends enrolled, for any interleaving of two feeders', () => {
    const rec = fc.option(fc.record({ enrolled: fc.boolean(), minute: fc.integer({ min: 0, max: 5 }) }), {
      freq: 5,
      nil: null,
    });
    fc.assert(
      fc.property(
        fc.array(rec, { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 24 }),
        (recs, turns) => {
          // The store's rule over the partition in order: the latest updated_at wins; a tombstone forgets.
          let stored: { enrolled: boolean; minute: number } | undefined;
          for (const r of recs) {
            if (r === null) stored = undefined;
            else if (!stored || stored.minute <= r.minute) stored = r;
          }
          // Two feeders each read the partition in order; `turns` interleaves them.
          const d = new EnrolledDirectory();
          const next = [0, 0];
          const step = (f: number) => {
            const i = next[f]!;
            if (i >= recs.length) return;
            next[f] = i + 1;
            const r = recs[i]!;
            d.apply({
              partition: 0,
              offset: String(i),
              key: 'a',
              value: r && value('a', r.enrolled, r.minute),
            });
          };
          for (const t of turns) step(t ? 1 : 0);
          while (next[0]! < recs.length || next[1]! < recs.length) step(next[0]! < recs.length ? 0 : 1);
          // (The other way round is allowed: an old enrolled profile after a newer unenrolled one is
          // held, and the store, which decides, says no.)
          if (stored?.enrolled) expect(d.mayBeEnrolled('a')).toBe(true);
          if (stored === undefined || recs.every((r) => r === null || !r.enrolled))
            expect(d.mayBeEnrolled('a')).toBe(false);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
