import { isAnonymousNetwork, isHostingNetwork } from '../../src/risk/network.js';
import { LONDON } from './risk-context.js';

describe('network signals', () => {
  it.each([
    'is_anonymous',
    'is_anonymous_vpn',
    'is_public_proxy',
    'is_residential_proxy',
    'is_tor_exit_node',
  ] as const)('treats %s as an anonymous network', (flag) => {
    expect(isAnonymousNetwork({ ...LONDON, [flag]: true })).toBe(true);
    expect(isHostingNetwork({ ...LONDON, [flag]: true })).toBe(false);
  });

  it('treats a hosting provider as a hosting network, not an anonymous one', () => {
    expect(isHostingNetwork({ ...LONDON, is_hosting_provider: true })).toBe(true);
    expect(isAnonymousNetwork({ ...LONDON, is_hosting_provider: true })).toBe(false);
  });

  it('flags neither for an ordinary ISP or missing data', () => {
    expect(isAnonymousNetwork(LONDON)).toBe(false);
    expect(isHostingNetwork(LONDON)).toBe(false);
    expect(isAnonymousNetwork({ network: 'private' })).toBe(false);
    expect(isAnonymousNetwork({ ...LONDON, is_anonymous: false, is_tor_exit_node: false })).toBe(false);
  });
});
