// The shapes rendering shares with its callers and with view.ts, so neither imports the renderer.
import type { AuthMethod } from '../contracts/auth-event.js';
import type { Device, Geo, Reason, Severity } from '../contracts/login-alert.js';
import type { NoticeKind } from '../contracts/notification.js';
import type { ResponseAction, ResponseStatus } from '../contracts/records.js';
import type { Change } from './messages.js';

export { NOTICE_KINDS, type NoticeKind } from '../contracts/notification.js';

/** The parts of each notice, one template file each: templates/<locale>/<kind>.<part>.hbs */
export const NOTICE_PARTS = ['subject', 'html', 'text', 'sms', 'push-title', 'push-body'] as const;

/** Locale every other locale falls back to. */
export const DEFAULT_LOCALE = 'en';
/** Limits the channels rely on: a one-line subject, two SMS segments at most, a push that fits its 4 KB payload. */
export const LIMITS = { subject: 120, smsSegments: 2, pushTitle: 80, pushBody: 240 } as const;

/** What to render: display data only, never the raw user agent or IP. */
export interface RenderInput {
  kind: NoticeKind;
  locale?: string;
  timeZone?: string;
  occurredAt: string;
  product?: string;
  method?: AuthMethod;
  device?: Device;
  geo?: Geo;
  severity: Severity;
  reasons: Reason[];
  failureCount?: number;
  /** The WebAuthn authenticator's display name (from our AAGUID list), when known. */
  authenticator?: string;
  change?: Change;
  /** kind `containment`: which action a report asked for and how it ended */
  containment?: { action: ResponseAction; status: ResponseStatus };
  reportUrl?: string;
  settingsUrl?: string;
}

/** One notice for every channel, in the locale actually used; each part is rendered when first read. */
export interface Rendered {
  locale: string;
  email: { subject: string; html: string; text: string };
  sms: string;
  push: { title: string; body: string };
}

/** Renders notices; build one at start and share it. */
export interface Renderer {
  render(input: RenderInput): Rendered;
}
