import { REASONS, type Reason } from '../../src/contracts/login-alert.js';
import { orderReasons, severityFor } from '../../src/risk/severity.js';

describe('severityFor', () => {
  it('is info for a known device in a known place (no reasons)', () => {
    expect(severityFor([])).toBe('info');
  });

  it.each<Reason[]>([
    ['new_device'],
    ['new_country'],
    ['new_city'],
    ['new_device', 'new_country', 'new_city'],
    ['anonymous_network'],
    ['hosting_network'],
    ['hosting_network', 'new_device'],
    ['credential_added'],
  ])('is warning for %j', (...reasons) => {
    expect(severityFor(reasons)).toBe('warning');
  });

  it.each<Reason[]>([
    ['impossible_travel'],
    ['method_downgrade'],
    ['failure_burst'],
    ['user_reported'],
    ['new_device', 'anonymous_network'],
    ['new_city', 'impossible_travel'],
  ])('is critical for %j', (...reasons) => {
    expect(severityFor(reasons)).toBe('critical');
  });
});

describe('orderReasons', () => {
  it('lists reasons once, in REASONS order', () => {
    expect(orderReasons(['method_downgrade', 'new_device', 'impossible_travel', 'new_device'])).toEqual([
      'new_device',
      'impossible_travel',
      'method_downgrade',
    ]);
    expect(orderReasons([...REASONS].reverse())).toEqual([...REASONS]);
  });
});
