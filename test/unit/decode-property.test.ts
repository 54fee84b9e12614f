import fc from 'fast-check';
import { decodeAccountSecurity, decodeAuthEvent } from '../../src/contracts/decode.js';

const valid = {
  event_id: 'e1',
  schema_version: 1,
  type: 'login.succeeded',
  occurred_at: '2026-11-24T14:05:00Z',
  account_id: 'a1',
  session_id: 's1',
  product: 'chatgpt',
  client: { ip: '81.2.69.160', user_agent: 'Mozilla/5.0' },
  auth: { method: 'passkey' },
  source: 'test',
};
const now = Date.parse('2026-11-24T14:06:00Z');

/** Records that are near-valid: one field replaced by anything. */
const mutated = fc
  .tuple(fc.constantFrom(...Object.keys(valid), 'client', 'auth'), fc.anything())
  .map(([field, value]) => JSON.stringify({ ...valid, [field]: value }) ?? 'null');

const anyRecord = fc.oneof(
  fc.string(),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json(),
  mutated,
  fc
    .string({ maxLength: 30_000 })
    .map((ua) => JSON.stringify({ ...valid, client: { ...valid.client, user_agent: ua } })),
);

describe('decode and validate never throw', () => {
  it('ends every one of 10,000 arbitrary records as an event or a reasoned rejection', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(anyRecord, (record) => {
        const result = decodeAuthEvent(typeof record === 'string' ? Buffer.from(record) : record, now);
        if (result.ok) {
          accepted++;
          expect(typeof result.value.event_id).toBe('string');
        } else {
          rejected++;
          expect(result.code).toMatch(/^[A-Z_]+$/);
          expect(result.message.length).toBeGreaterThan(0);
        }
        const profile = decodeAccountSecurity(typeof record === 'string' ? record : Buffer.from(record));
        expect(typeof profile.ok).toBe('boolean');
      }),
      { numRuns: 10_000 },
    );
    expect(accepted + rejected).toBe(10_000);
    expect(rejected).toBeGreaterThan(0);
  });
});
