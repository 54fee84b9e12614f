import { rememberSignIn } from '../../src/risk/assess.js';
import { deviceKey, isNewDevice, UNKNOWN_DEVICE_KEY } from '../../src/risk/new-device.js';
import { CHROME_MAC, DAY, event, SAFARI_IPHONE, signIn, T0 } from './risk-context.js';

describe('deviceKey', () => {
  it('is stable and short for the same device id', () => {
    const a = deviceKey(event(T0, { deviceId: 'dev-123' }), CHROME_MAC);
    const b = deviceKey(event(T0 + DAY, { deviceId: 'dev-123' }), SAFARI_IPHONE);
    expect(a).toBe(b);
    expect(a).toMatch(/^id:[0-9a-f]{16}$/);
  });

  it('does not store the raw device id', () => {
    expect(deviceKey(event(T0, { deviceId: 'secret-device-id' }), CHROME_MAC)).not.toContain('secret');
  });

  it('tells device ids apart', () => {
    expect(deviceKey(event(T0, { deviceId: 'a' }), CHROME_MAC)).not.toBe(
      deviceKey(event(T0, { deviceId: 'b' }), CHROME_MAC),
    );
  });

  it('fingerprints browser, OS and type without a device id, ignoring versions', () => {
    const before = deviceKey(event(T0), CHROME_MAC);
    const updated = deviceKey(event(T0), { ...CHROME_MAC, browser_version: '130', os_version: '15.0' });
    expect(before).toMatch(/^fp:[0-9a-f]{16}$/);
    expect(updated).toBe(before);
    expect(deviceKey(event(T0), SAFARI_IPHONE)).not.toBe(before);
  });

  it('ignores case and surrounding space in the fingerprint', () => {
    expect(deviceKey(event(T0), { browser: ' chrome', os: 'MACOS', device_type: 'Desktop ' })).toBe(
      deviceKey(event(T0), CHROME_MAC),
    );
  });

  it('falls back to "unknown" when nothing is known', () => {
    expect(deviceKey(event(T0), {})).toBe(UNKNOWN_DEVICE_KEY);
  });
});

describe('isNewDevice', () => {
  const first = signIn(T0);

  it('is new for an account with no history', () => {
    expect(isNewDevice(first)).toBe(true);
  });

  it('is not new when seen within the window', () => {
    const history = rememberSignIn(first.history, first);
    expect(isNewDevice(signIn(T0 + 30 * DAY, { history }))).toBe(false);
    expect(isNewDevice(signIn(T0 + 90 * DAY, { history }))).toBe(false);
  });

  it('is new again when last seen 91 days ago', () => {
    const history = rememberSignIn(first.history, first);
    expect(isNewDevice(signIn(T0 + 91 * DAY, { history }))).toBe(true);
  });

  it('is new for a different device on a known account', () => {
    const history = rememberSignIn(first.history, first);
    expect(isNewDevice(signIn(T0 + DAY, { history, device: SAFARI_IPHONE }))).toBe(true);
  });

  it('remembers an unknown device like any other', () => {
    const bare = signIn(T0, { device: {} });
    const history = rememberSignIn(bare.history, bare);
    expect(isNewDevice(signIn(T0 + DAY, { history, device: {} }))).toBe(false);
  });
});
