// The one object every template of a notice sees. All values are display-ready, sanitised strings
// (or booleans and lists of them), and every key is always present, because templates compile in
// strict mode: a typo in a template throws at render time instead of printing an empty string.
import { AppError } from '../errors.js';
import {
  formatAttempts,
  formatAuthenticator,
  formatDevice,
  formatMethod,
  formatPlace,
  formatProduct,
  formatReasons,
  formatWhen,
  placePhrase,
} from './format.js';
import type { Messages } from './messages.js';
import { shownAuthenticator } from './outside-text.js';
import { toGsm } from './sms.js';
import type { RenderInput } from './types.js';

/** The view handed to a notice's templates. */
export interface NoticeView {
  lang: string;
  product: string;
  method: string;
  device: string;
  /** "London, United Kingdom", '' when unknown */
  place: string;
  /** "near London, United Kingdom" or the localised unknown/private phrase */
  where: string;
  when: string;
  whenShort: string;
  timeZone: string;
  info: boolean;
  warning: boolean;
  critical: boolean;
  reasons: string[];
  hasReasons: boolean;
  attempts: string;
  /** the authenticator's display name, '' when unknown */
  authenticator: string;
  /** "Signed in with your YubiKey 5 Series" / "A new passkey from iCloud Keychain was added", or '' */
  authenticatorLine: string;
  /** the account change (the authenticator's sentence for a credential.added with a known name) */
  change: string;
  changeShort: string;
  /** containment: the action could not be done; the security team was told */
  containFailed: boolean;
  /** containment: which action (neither true: the reported session was ended) */
  endedEverywhere: boolean;
  removedCredential: boolean;
  reportUrl: string;
  settingsUrl: string;
  /** the product name, GSM-7 and at most 20 characters, for SMS */
  smsProduct: string;
  smsDevice: string;
  smsWhere: string;
  /** the authenticator's name in GSM-7 for a sentence that names it, '' otherwise */
  smsAuthenticator: string;
}

/** Builds the view, and the SMS variants (richest first) when asked: only SMS reads them. */
export function buildView(
  input: RenderInput,
  messages: Messages,
  lang: string,
  intlLocale: string,
): { view: NoticeView; smsVariants: () => NoticeView[] } {
  const when = formatWhen(input.occurredAt, input.timeZone, intlLocale);
  const device = formatDevice(input.device, messages);
  const place = formatPlace(input.geo, intlLocale, messages);
  const method = formatMethod(input.method, messages);
  const change =
    input.change !== undefined && Object.hasOwn(messages.change, input.change) ? input.change : undefined;
  const authenticator = shownAuthenticator(input.authenticator);
  const authenticatorLine = formatAuthenticator(authenticator, input.kind, change, messages);
  const view: NoticeView = {
    lang,
    product: formatProduct(input.product, messages),
    method: method.name,
    device: device.long,
    place: [place.city, place.country].filter(Boolean).join(', '),
    where: place.long,
    when: when.long,
    whenShort: when.short,
    timeZone: when.zone,
    info: input.severity === 'info',
    warning: input.severity === 'warning',
    critical: input.severity === 'critical',
    reasons: formatReasons(input.reasons, method.with, messages),
    hasReasons: false,
    attempts: formatAttempts(input.failureCount, intlLocale, messages),
    authenticator,
    authenticatorLine,
    change:
      change === 'credential.added' && authenticatorLine
        ? authenticatorLine
        : change
          ? messages.change[change]()
          : '',
    changeShort: change ? messages.changeShort[change]() : '',
    containFailed: input.containment?.status === 'failed',
    endedEverywhere: input.containment?.action === 'all_sessions_revoked',
    removedCredential: input.containment?.action === 'credential_removed',
    reportUrl: safeUrl(input.reportUrl, 'reportUrl'),
    settingsUrl: safeUrl(input.settingsUrl, 'settingsUrl'),
    smsProduct: '',
    smsDevice: '',
    smsWhere: '',
    smsAuthenticator: authenticatorLine ? (toGsm(authenticator) ?? '') : '',
  };
  // Cut without an ellipsis: "…" is not GSM-7 and would cost the whole SMS its encoding.
  view.smsProduct = Array.from(toGsm(view.product) ?? messages.fallbackProduct())
    .slice(0, 20)
    .join('')
    .trimEnd();
  view.hasReasons = view.reasons.length > 0;
  return { view, smsVariants: () => smsVariants(view, device.known ? device.short : '', place, messages) };
}

// SMS drops detail before it spends a segment: the country name for its code, then the city,
// then the place, then the device. Values with characters GSM-7 cannot carry even after
// transliteration (北京, Москва) are left out rather than switching the whole SMS to UCS-2.
function smsVariants(
  view: NoticeView,
  deviceShort: string,
  place: { city: string; country: string; countryCode: string },
  messages: Messages,
): NoticeView[] {
  const device = toGsm(deviceShort) ?? '';
  const city = toGsm(place.city) ?? '';
  const country = toGsm(place.country) ?? '';
  const code = place.countryCode;
  const near = (c: string, k: string) => toGsm(placePhrase(c, k, messages)) ?? '';
  // A bare country code ("near GB") reads badly on its own, so it only ever follows a city.
  const combos: [string, string][] = [
    [device, near(city, country)],
    [device, near(city, code)],
    [device, near('', country)],
    [device, ''],
    ['', near('', country)],
    ['', ''],
  ];
  // The authenticator's name (48 characters at most) stays in every variant: which key or passkey
  // provider was used or added is worth a second segment.
  const seen = new Set<string>();
  return combos
    .filter(([d, w]) => {
      const key = `${d}\u0000${w}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(([smsDevice, smsWhere]) => ({ ...view, smsDevice, smsWhere }));
}

// Links go into href attributes: only absolute http(s) URLs, so a javascript: URL can never appear.
function safeUrl(url: string | undefined, name: string): string {
  if (url === undefined || url === '') return '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('INTERNAL', `${name} must be an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AppError('INTERNAL', `${name} must be an http(s) URL`);
  }
  return parsed.href;
}
