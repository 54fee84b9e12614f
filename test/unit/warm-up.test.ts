/**
 * The start-up warm-up: it must go through the real decision and delivery code (if the synthetic
 * events stopped validating, it would warm only the dead-letter path), and leave nothing behind.
 */
import { loadConfig } from '../../src/config/config.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { openGeo } from '../../src/enrich/geo.js';
import { createRenderer } from '../../src/notify/render.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { OutcomeLog } from '../../src/observe/outcomes.js';
import { warmUp } from '../../src/runtime/warm-up.js';

/** Runs a warm-up on the real services it uses (nothing it could publish, store or send through). */
async function warmUpWith(opts: Parameters<typeof warmUp>[1]) {
  const geo = await openGeo({});
  try {
    const services = {
      config: loadConfig({}),
      devices: createDeviceParser(),
      geo,
      renderer: createRenderer(),
    };
    return await warmUp(services, opts);
  } finally {
    geo.close();
  }
}

describe('warmUp', () => {
  it('decides alerts and delivers them on every channel, within its event budget', async () => {
    const result = await warmUpWith({ maxEvents: 400, budgetMs: 60_000 });
    expect(result.events).toBe(400);
    expect(result.notices).toBeGreaterThan(50);
    expect(result.deadLetters).toBeGreaterThanOrEqual(4); // the malformed one in 97
    expect(result.deadLetters).toBeLessThan(20); // and no valid shape among them
    for (const channel of ['email', 'sms', 'push'] as const) expect(result.sent[channel]).toBeGreaterThan(20);
  });

  it("counts nothing in the process's metrics and adds nothing to its outcome log (the dashboard)", async () => {
    const geo = await openGeo({});
    try {
      const metrics = createMetrics();
      const outcomes = new OutcomeLog();
      // The whole services object, as the runtime passes it.
      const services = {
        config: loadConfig({}),
        devices: createDeviceParser(),
        geo,
        renderer: createRenderer(),
        metrics,
        outcomes,
      };
      const result = await warmUp(services, { maxEvents: 200, budgetMs: 60_000 });
      expect(result.notices).toBeGreaterThan(10);
      const counted = (await metrics.registry.getMetricsAsJSON())
        .filter((m) => m.name === 'login_alerts_events_total' || m.name === 'login_alerts_alerts_total')
        .flatMap((m) => m.values.map((v) => v.value));
      expect(counted.reduce((a, b) => a + b, 0)).toBe(0);
      expect(outcomes.recent()).toEqual([]);
    } finally {
      geo.close();
    }
  });

  it('stops at its time budget', async () => {
    const result = await warmUpWith({ maxEvents: 1_000_000, budgetMs: 200 });
    expect(result.events).toBeGreaterThan(0);
    expect(result.events).toBeLessThan(1_000_000);
    expect(result.ms).toBeLessThan(5_000);
  });
});
