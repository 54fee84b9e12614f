/**
 * The start-up warm-up: it must go through the real decision and delivery code (if the synthetic
 * events stopped validating, it would warm only the dead-letter path), and leave nothing behind.
 */
import { loadConfig } from '../../src/config/config.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { openGeo } from '../../src/enrich/geo.js';
import { createRenderer } from '../../src/notify/render.js';
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

  it('stops at its time budget', async () => {
    const result = await warmUpWith({ maxEvents: 1_000_000, budgetMs: 200 });
    expect(result.events).toBeGreaterThan(0);
    expect(result.events).toBeLessThan(1_000_000);
    expect(result.ms).toBeLessThan(5_000);
  });
});
