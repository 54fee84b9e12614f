import { encodePushPayload } from '../../src/channels/push-payload.js';
import { toPushPayload } from '../../src/notify/push.js';

const meta = {
  url: 'https://alerts.example.com/r/x',
  kind: 'new_login',
  severity: 'critical' as const,
  alertId: 'a1',
};

test('builds the PushPayload the push channel sends', () => {
  expect(toPushPayload({ title: 'T', body: 'B' }, meta)).toEqual({
    title: 'T',
    body: 'B',
    url: meta.url,
    kind: 'new_login',
    severity: 'critical',
    alert_id: 'a1',
  });
});

test('refuses a payload push services would reject as too large', () => {
  expect(() => encodePushPayload(toPushPayload({ title: 'T', body: '字'.repeat(1400) }, meta))).toThrow(
    expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', retryable: false }),
  );
});
