import fc from 'fast-check';
import { AuthEventSchema } from '../../src/contracts/auth-event.js';
import { IDP_FORMATS, mapIdpPayload, mapIdpText } from '../../src/ingest/index.js';

const now = Date.parse('2026-12-01T00:00:00Z');

/** Near-shapes of each IdP's records with any value in any field, plus arbitrary JSON. */
const recordish = fc.oneof(
  fc.jsonValue(),
  fc.record({
    log_id: fc.anything(),
    data: fc.dictionary(
      fc.constantFrom('type', 'user_id', 'ip', 'date', 'details', 'user_agent'),
      fc.anything(),
    ),
  }),
  fc.record({
    eventType: fc.constant('com.okta.event_hook'),
    data: fc.record({ events: fc.array(fc.anything()) }),
  }),
  fc.dictionary(
    fc.constantFrom(
      'id',
      'type',
      'time',
      'userId',
      'sessionId',
      'ipAddress',
      'error',
      'details',
      'uuid',
      'eventType',
    ),
    fc.anything(),
  ),
);

describe('IdP mappers on hostile input', () => {
  it.each(IDP_FORMATS)('%s: any JSON in, no throw, and every event out is a valid AuthEvent', (format) => {
    fc.assert(
      fc.property(fc.oneof(recordish, fc.array(recordish, { maxLength: 5 })), (payload) => {
        const batch = mapIdpPayload(format, payload, { now });
        if (!batch.ok) return typeof batch.message === 'string';
        for (const o of batch.outcomes)
          if (o.kind === 'event') expect(AuthEventSchema.safeParse(o.event).success).toBe(true);
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it.each(IDP_FORMATS)('%s: any text in, no throw, records numbered in order', (format) => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const out = mapIdpText(format, text, { now });
        return out.every((o, i) => o.index === i);
      }),
      { numRuns: 300 },
    );
  });
});
