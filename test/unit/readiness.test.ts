import { readinessDetails, shortDetail } from '../../src/http/readiness.js';

describe('admin readiness details', () => {
  it('replaces addresses, host names, ports and URLs with [host]', () => {
    expect(shortDetail('connect ECONNREFUSED 10.0.0.5:6379')).toBe('connect ECONNREFUSED [host]');
    expect(shortDetail('getaddrinfo ENOTFOUND redis-0.redis.svc.cluster.local')).toBe(
      'getaddrinfo ENOTFOUND [host]',
    );
    expect(shortDetail('Connection error: connect ECONNREFUSED ::1:9092')).toBe(
      'Connection error: connect ECONNREFUSED [host]',
    );
    expect(shortDetail('failed to reach https://user:pw@kafka.internal:9093/x now')).toBe(
      'failed to reach [host] now',
    );
    expect(shortDetail('timeout after 1.5 s')).toBe('timeout after 1.5 s');
  });

  it('keeps one short line', () => {
    const out = shortDetail(`${'x'.repeat(500)}\nstack line`);
    expect(out.length).toBe(120);
    expect(out.endsWith('…')).toBe(true);
    expect(shortDetail('first\nsecond')).toBe('first');
  });

  it('passes ok and a stable code through, and drops anything else', () => {
    expect(
      readinessDetails({
        store: { ok: false, detail: 'connect ECONNREFUSED 10.0.0.5:6379', code: 'STORE_UNAVAILABLE' },
        kafka: { ok: true },
        odd: { ok: false, code: 'not a code: 10.0.0.5', detail: '' },
      }),
    ).toEqual({
      store: { ok: false, code: 'STORE_UNAVAILABLE', detail: 'connect ECONNREFUSED [host]' },
      kafka: { ok: true },
      odd: { ok: false },
    });
  });
});
