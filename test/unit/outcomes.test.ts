import { OutcomeLog } from '../../src/observe/outcomes.js';

const entry = (i: number) => ({ event_id: `e${i}`, outcome: 'alerted' as const, at: `t${i}` });

describe('OutcomeLog', () => {
  it('keeps the last N decisions, newest first, and forgets older ones by id', () => {
    const log = new OutcomeLog(3);
    for (let i = 1; i <= 5; i++) log.add(entry(i));
    expect(log.recent(10).map((e) => e.event_id)).toEqual(['e5', 'e4', 'e3']);
    expect(log.recent(2).map((e) => e.event_id)).toEqual(['e5', 'e4']);
    expect(log.get('e2')).toBeUndefined();
    expect(log.get('e3')?.at).toBe('t3');
  });

  it('returns only what it holds before it is full', () => {
    const log = new OutcomeLog(4);
    log.add(entry(1));
    expect(log.recent().map((e) => e.event_id)).toEqual(['e1']);
  });

  it('keeps the newer entry when an event id repeats and the older copy is evicted', () => {
    const log = new OutcomeLog(2);
    log.add(entry(1));
    log.add({ ...entry(1), outcome: 'duplicate_event' });
    log.add(entry(2)); // evicts the first e1, not the newer one
    expect(log.get('e1')?.outcome).toBe('duplicate_event');
  });
});
