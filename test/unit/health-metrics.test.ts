/** Readiness from parts' states, and the metric names the registry exposes. */
import { Health } from '../../src/observe/health.js';
import { createMetrics } from '../../src/observe/metrics.js';

describe('health', () => {
  it('is ready only with parts, all ok; keeps each reason and when the state changed', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const h = new Health(() => now);
    expect(h.ready).toBe(false);
    h.set('store', true, 'redis');
    expect(h.ready).toBe(true);
    now += 1_000;
    h.report('consumer:g', { ok: false, code: 'CONSUMER_CRASHED', detail: 'crashed; restarting' });
    expect(h.ready).toBe(false);
    expect(h.problems()).toEqual([
      {
        part: 'consumer:g',
        ok: false,
        code: 'CONSUMER_CRASHED',
        detail: 'crashed; restarting',
        since: '2026-01-01T00:00:01.000Z',
      },
    ]);
    now += 1_000;
    // Same state again: `since` stays.
    h.report('consumer:g', { ok: false, code: 'CONSUMER_CRASHED' });
    expect(h.snapshot()['consumer:g']!.since).toBe('2026-01-01T00:00:01.000Z');
    h.report('consumer:g', { ok: true });
    expect(h.ready).toBe(true);
    expect(h.snapshot()['consumer:g']).toEqual({ ok: true, since: '2026-01-01T00:00:02.000Z' });
    h.report('partitions', { ok: false, code: 'PARTITION_STALLED' });
    h.remove('partitions');
    expect(h.ready).toBe(true);
    expect(Object.keys(h.snapshot())).toEqual(['store', 'consumer:g']);
  });
});

describe('metric names', () => {
  it('has the default process metrics under login_alerts_process_ once, and the health metrics', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('login_alerts_process_cpu_seconds_total');
    expect(text).toContain('login_alerts_nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('process_process');
    for (const name of [
      'login_alerts_consumer_lag',
      'login_alerts_consumer_crashes_total',
      'login_alerts_consumer_up',
      'login_alerts_partition_stalled',
      'login_alerts_partition_stalls_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
