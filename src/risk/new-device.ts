import { hash } from 'node:crypto';
import type { AuthEvent } from '../contracts/auth-event.js';
import type { Device } from '../contracts/login-alert.js';
import { seenWithin } from './seen.js';
import type { SignInContext } from './types.js';

/** The key used when neither a device id nor any parsed device attribute is known. */
export const UNKNOWN_DEVICE_KEY = 'unknown';

// 16 hex chars (64 bits) keeps history small; collisions between one account's devices are negligible.
const short = (s: string): string => hash('sha256', s, 'hex').slice(0, 16);
const norm = (s: string | undefined): string => (s ?? '').trim().toLowerCase();

/**
 * A short, stable key for the device behind a sign-in: the client's device id when it sent one,
 * otherwise a fingerprint of browser family, OS and device type.
 */
export function deviceKey(event: AuthEvent, device: Device): string {
  const id = event.client.device_id;
  if (id !== undefined && id !== '') return `id:${short(id)}`;
  // Versions are left out on purpose: a browser or OS update must not turn a known device into a new one.
  const parts = [norm(device.browser), norm(device.os), norm(device.device_type)];
  if (parts.every((p) => p === '')) return UNKNOWN_DEVICE_KEY;
  return `fp:${short(parts.join('\u0000'))}`;
}

/** new_device: this device has not signed in to the account within the history window. */
export function isNewDevice(ctx: SignInContext): boolean {
  return !seenWithin(ctx.history.devices, deviceKey(ctx.event, ctx.device), ctx.now, ctx.historyWindowMs);
}
