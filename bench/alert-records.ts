// The records alerts really make (the alert, its OCSF form and the notification request), from the
// pipeline's decisions on enrolled accounts' first sign-ins: what the Kafka benches produce.
import { loadConfig } from '../src/config/config.js';
import type { AccountSecurity } from '../src/contracts/account-security.js';
import { createDeviceParser } from '../src/enrich/device.js';
import { openGeo } from '../src/enrich/geo.js';
import type { OutRecord } from '../src/kafka/produce-requests.js';
import { ChunkState } from '../src/pipeline/chunk-state.js';
import { decideEvent } from '../src/pipeline/decide.js';
import { alertOutputs } from '../src/pipeline/emit.js';
import { authEvent } from '../src/pipeline/synthetic.js';
import { keys } from '../src/state/keys.js';
import { publicIpv4, rng, UA_CORPUS, zipfPicker } from './load.js';

/** At least `count` output records of alerts on distinct accounts, in the order the pipeline emits them. */
export async function alertRecords(count: number): Promise<OutRecord[]> {
  const config = loadConfig({});
  const geo = await openGeo({});
  const next = rng(7);
  const pickUa = zipfPicker(UA_CORPUS, next);
  const ctx = { devices: createDeviceParser(), geo, config, startedAt: Date.now() };
  const records: OutRecord[] = [];
  try {
    while (records.length < count) {
      const account = `acct-${records.length}`;
      const state = new ChunkState();
      const profile: AccountSecurity = {
        account_id: account,
        schema_version: 1,
        updated_at: '2026-01-01T00:00:00Z',
        advanced_security: { enrolled: true },
        contacts: { email: `${account}@example.com` },
        preferences: { locale: 'en', timezone: 'Europe/London' },
      };
      state.load([keys.profile(account)], [JSON.stringify(profile)]);
      const event = authEvent({
        account_id: account,
        client: { ip: publicIpv4(next), user_agent: pickUa() },
      });
      const verdict = decideEvent(event, { ...ctx, state });
      if (!verdict.alert) throw new Error(`no alert: ${verdict.outcome}`);
      records.push(...alertOutputs({ ...verdict.alert, channels: ['email'] }, config.topics));
    }
  } finally {
    geo.close();
  }
  return records;
}
