// The web push payload for a rendered notice. Rendered titles and bodies are capped far below the
// push record's limit (LIMITS in types.ts); the push channel checks the whole JSON against it.
import type { PushPayload } from '../channels/channel.js';
import type { Severity } from '../contracts/login-alert.js';
import type { Rendered } from './types.js';

/** The payload a push delivery carries: the rendered title and body, the report link, the alert's identity. */
export function toPushPayload(
  push: Rendered['push'],
  meta: { url: string; kind: string; severity: Severity; alertId: string },
): PushPayload {
  return {
    title: push.title,
    body: push.body,
    url: meta.url,
    kind: meta.kind,
    severity: meta.severity,
    alert_id: meta.alertId,
  };
}
