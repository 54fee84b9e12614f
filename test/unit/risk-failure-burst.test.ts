import {
  DEFAULT_FAILURE_BURST,
  type FailureState,
  MAX_FAILURE_ATTEMPTS,
  recordFailure,
} from '../../src/risk/failure-burst.js';
import { MINUTE, T0 } from './risk-context.js';

const opts = DEFAULT_FAILURE_BURST; // 3 within 15 minutes

/** Feeds failures at the given times; returns the alerts raised (count per alert, undefined for none). */
function feed(
  times: number[],
  start?: FailureState,
): { alerts: Array<number | undefined>; state: FailureState | undefined } {
  let state = start;
  const alerts = times.map((at) => {
    const r = recordFailure(state, at, opts);
    state = r.state;
    return r.alert?.count;
  });
  return { alerts, state };
}

describe('recordFailure', () => {
  it('alerts once on the third failure within 15 minutes', () => {
    const { alerts } = feed([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(alerts).toEqual([undefined, undefined, 3]);
  });

  it('stays quiet for 10 more failures in the same window', () => {
    const times = Array.from({ length: 13 }, (_, i) => T0 + i * MINUTE);
    const { alerts } = feed(times);
    expect(alerts.filter((a) => a !== undefined)).toEqual([3]);
  });

  it('alerts again, with the count, once a full window has passed and failures continue', () => {
    // One failure a minute for 40 minutes: alerts at minute 2, then at 17 and 32 with 16 in the window.
    const times = Array.from({ length: 40 }, (_, i) => T0 + i * MINUTE);
    const { alerts } = feed(times);
    const raised = alerts.flatMap((count, i) => (count === undefined ? [] : [{ minute: i, count }]));
    expect(raised).toEqual([
      { minute: 2, count: 3 },
      { minute: 17, count: 16 },
      { minute: 32, count: 16 },
    ]);
  });

  it('never alerts when failures are spread out beyond the window', () => {
    const times = Array.from({ length: 10 }, (_, i) => T0 + i * 10 * MINUTE);
    expect(feed(times).alerts.every((a) => a === undefined)).toBe(true);
  });

  it('counts failures exactly a window apart as within it', () => {
    expect(feed([T0, T0 + 7 * MINUTE, T0 + 15 * MINUTE]).alerts[2]).toBe(3);
    expect(feed([T0, T0 + 7 * MINUTE, T0 + 15 * MINUTE + 1]).alerts[2]).toBeUndefined();
  });

  it('needs the threshold again after a quiet spell, not just a window since the last alert', () => {
    const first = feed([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    const later = feed([T0 + 60 * MINUTE, T0 + 61 * MINUTE], first.state);
    expect(later.alerts).toEqual([undefined, undefined]);
    expect(feed([T0 + 62 * MINUTE], later.state).alerts).toEqual([3]);
  });

  it('keeps the attempt list bounded', () => {
    const times = Array.from({ length: 500 }, (_, i) => T0 + i * 100);
    const { state, alerts } = feed(times);
    expect(state?.attempts.length).toBe(MAX_FAILURE_ATTEMPTS);
    expect(alerts.filter((a) => a !== undefined)).toEqual([3]);
  });

  it('prunes attempts older than the window', () => {
    const { state } = feed([T0, T0 + MINUTE, T0 + 30 * MINUTE]);
    expect(state?.attempts).toEqual([T0 + 30 * MINUTE]);
  });

  it('counts a late, out-of-order failure still inside the window without moving time back', () => {
    const { alerts, state } = feed([T0 + 10 * MINUTE, T0 + 12 * MINUTE, T0 + 5 * MINUTE]);
    expect(alerts).toEqual([undefined, undefined, 3]);
    expect(state?.attempts).toEqual([T0 + 5 * MINUTE, T0 + 10 * MINUTE, T0 + 12 * MINUTE]);
    expect(state?.lastAlertAt).toBe(T0 + 12 * MINUTE);
  });

  it('ignores a late failure from before the window', () => {
    const { alerts } = feed([T0 + 30 * MINUTE, T0 + 31 * MINUTE, T0]);
    expect(alerts).toEqual([undefined, undefined, undefined]);
  });

  it('does not mutate the state it is given', () => {
    const state: FailureState = { attempts: [T0, T0 + MINUTE] };
    recordFailure(state, T0 + 2 * MINUTE, opts);
    expect(state).toEqual({ attempts: [T0, T0 + MINUTE] });
  });

  it('honours other thresholds and windows', () => {
    const r1 = recordFailure(undefined, T0, { threshold: 1, windowMs: MINUTE });
    expect(r1.alert).toEqual({ count: 1 });
    const r2 = recordFailure(r1.state, T0 + 30_000, { threshold: 1, windowMs: MINUTE });
    expect(r2.alert).toBeUndefined();
    expect(recordFailure(r2.state, T0 + MINUTE, { threshold: 1, windowMs: MINUTE }).alert).toEqual({
      count: 3,
    });
  });
});
