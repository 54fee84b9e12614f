// The web push payload for a rendered notice. Push services accept about 3,993 bytes of plaintext
// (FACTS.md); rendered titles and bodies are capped far below that, and this checks the whole JSON.
import type { PushPayload } from '../channels/channel.js';
import type { Severity } from '../contracts/login-alert.js';
import { AppError } from '../errors.js';
import type { Rendered } from './render.js';

/** Largest plaintext a push service reliably accepts. */
export const MAX_PUSH_PAYLOAD_BYTES = 3993;

/** Builds the push payload; throws PAYLOAD_TOO_LARGE (not retryable) if it could not be delivered. */
export function toPushPayload(
  push: Rendered['push'],
  meta: { url: string; kind: string; severity: Severity; alertId: string },
): PushPayload {
  const payload: PushPayload = {
    title: push.title,
    body: push.body,
    url: meta.url,
    kind: meta.kind,
    severity: meta.severity,
    alert_id: meta.alertId,
  };
  const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
  if (bytes >= MAX_PUSH_PAYLOAD_BYTES) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `push payload is ${bytes} bytes (limit ${MAX_PUSH_PAYLOAD_BYTES})`,
    );
  }
  return payload;
}
