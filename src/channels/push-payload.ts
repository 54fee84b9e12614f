// The web push limits and rules every push delivery follows, whoever builds or sends it.
import type { Severity } from '../contracts/login-alert.js';
import { AppError } from '../errors.js';
import type { PushPayload } from './channel.js';

/**
 * Largest plaintext that fits one aes128gcm record of 4096 bytes:
 * 4096 − 86 (header with a 65-byte key id) − 16 (tag) − 1 (padding delimiter).
 */
export const MAX_PUSH_PAYLOAD_BYTES = 3993;

/** A critical alert always goes out with high urgency; anything else as the delivery asks (normal by default). */
export function pushUrgency(d: { severity: Severity; urgency?: 'normal' | 'high' }): 'normal' | 'high' {
  return d.severity === 'critical' ? 'high' : (d.urgency ?? 'normal');
}

/** The payload as the JSON text sent; PAYLOAD_TOO_LARGE (not retryable) when it would not fit one record. */
export function encodePushPayload(payload: PushPayload): string {
  const text = JSON.stringify(payload);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_PUSH_PAYLOAD_BYTES) {
    // Push services answer 413 anyway; failing here saves a round trip and states why.
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `push payload is ${bytes} bytes, over the ${MAX_PUSH_PAYLOAD_BYTES}-byte limit`,
    );
  }
  return text;
}
