// The one object every template of a notice sees. All values are display-ready, sanitised strings
// (or booleans and lists of them), and every key is always present, because templates compile in
// strict mode: a typo in a template throws at render time instead of printing an empty string.
// Words come from the catalog; the view only holds values and the choices messages select on.
import { AppError } from '../errors.js';
import type { Catalog } from './catalog.js';
import {
  formatAttempts,
  formatAuthenticator,
  formatDevice,
  formatList,
  formatMethod,
  formatPlace,
  formatProduct,
  formatReasons,
  formatWhen,
  placePhrase,
} from './format.js';
import { shownAuthenticator } from './outside-text.js';
import { toGsm } from './sms.js';
import type { RenderInput } from './types.js';

/** The notices whose emails list the reasons for the alert. */
const REASONED_KINDS: ReadonlySet<string> = new Set(['new_login', 'failed_attempts']);

/** The view handed to a notice's templates. */
export interface NoticeView {
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
  severity: string;
  critical: boolean;
  /** the reasons explained, on the notices that list them (REASONED_KINDS); else empty */
  reasons: string[];
  hasReasons: boolean;
  /** "3 failed sign-in attempts" on a failed_attempts notice; else '' */
  attempts: string;
  /** "Signed in with your YubiKey 5 Series" / "A new passkey from iCloud Keychain was added", or '' */
  authenticatorLine: string;
  /** the account change (the authenticator's sentence for a credential.added with a known name) */
  change: string;
  changeShort: string;
  /** "yes" when the notice carries a "This wasn't me" link */
  report: 'yes' | 'no';
  /** containment: "failed" or "succeeded"; and which action ("session" when the reported session was ended) */
  status: string;
  action: 'credential' | 'everywhere' | 'session';
  reportUrl: string;
  settingsUrl: string;
  /** the push body's facts, as the locale writes a list ('' until pushView fills it) */
  pushDetails: string;
  /** the containment notice's facts: device, place, time */
  containDetails: string;
  /** the product name for SMS: GSM-7 when the locale's SMS is, at most 20 characters */
  smsProduct: string;
  /** the SMS facts of one variant (see smsVariants) */
  smsDetails: string;
  /** the email's subject, for the HTML part's title ('' until the subject is rendered) */
  subject: string;
}

/**
 * Builds the view; the push facts and the SMS variants (richest first) only when a channel asks. A
 * variant is a thunk that sets the view's SMS facts and returns it, so use each before asking the next.
 */
export function buildView(
  input: RenderInput,
  catalog: Catalog,
  intlLocale: string,
  gsmSms: boolean,
): { view: NoticeView; pushView: () => NoticeView; smsVariants: () => (() => NoticeView)[] } {
  const when = formatWhen(input.occurredAt, input.timeZone, intlLocale);
  const device = formatDevice(input.device, catalog);
  const place = formatPlace(input.geo, intlLocale, catalog);
  const method = formatMethod(input.method, catalog);
  const change =
    input.change !== undefined && catalog.has(`change.${input.change}`) ? input.change : undefined;
  const authenticator = shownAuthenticator(input.authenticator);
  const authenticatorLine = formatAuthenticator(authenticator, input.kind, change, input.method, catalog);
  const placeShown = place.city !== '' || place.country !== '';
  const reasons = REASONED_KINDS.has(input.kind) ? formatReasons(input.reasons, method, catalog) : [];
  const view: NoticeView = {
    product: formatProduct(input.product, catalog),
    method,
    device: device.long,
    place: [place.city, place.country].filter(Boolean).join(', '),
    where: place.long,
    when: when.long,
    whenShort: when.short,
    timeZone: when.zone,
    severity: input.severity,
    critical: input.severity === 'critical',
    // Worded only for the notices that show them: each is a catalog message per render.
    reasons,
    hasReasons: reasons.length > 0,
    attempts: input.kind === 'failed_attempts' ? formatAttempts(input.failureCount, catalog) : '',
    authenticatorLine,
    change:
      change === 'credential.added' && authenticatorLine
        ? authenticatorLine
        : change
          ? catalog.text(`change.${change}`)
          : '',
    changeShort: change ? catalog.text(`changeShort.${change}`) : '',
    report: input.reportUrl ? 'yes' : 'no',
    ...containmentChoices(input.containment),
    reportUrl: safeUrl(input.reportUrl, 'reportUrl'),
    settingsUrl: safeUrl(input.settingsUrl, 'settingsUrl'),
    pushDetails: '',
    containDetails:
      input.kind === 'containment' ? formatList([device.long, place.long, when.long], catalog) : '',
    smsProduct: '',
    smsDetails: '',
    subject: '',
  };
  const where = placeShown ? place.long : '';
  const pushView = () => {
    view.pushDetails ||= formatList(
      input.kind === 'failed_attempts'
        ? [when.short, where]
        : input.kind === 'containment'
          ? [device.long, place.long]
          : [authenticatorLine, device.long, where, when.short],
      catalog,
    );
    return view;
  };
  return {
    view,
    pushView,
    smsVariants: () => {
      // Cut without an ellipsis: "…" is not GSM-7 and would cost the whole SMS its encoding.
      const product = gsmSms ? (toGsm(view.product) ?? catalog.text('product.fallback')) : view.product;
      const smsProduct = Array.from(product).slice(0, 20).join('').trimEnd();
      const named = authenticatorLine ? (gsmSms ? (toGsm(authenticator) ?? '') : authenticator) : '';
      // One view serves every variant: fitSms renders them one after another, never two at once.
      return smsVariants(device.known ? device.short : '', place, catalog, gsmSms).map(([d, w]) => () => {
        view.smsProduct = smsProduct;
        view.smsDetails = formatList(
          input.kind === 'failed_attempts' ? [when.short, w] : [when.short, named, d, w],
          catalog,
        );
        return view;
      });
    },
  };
}

// SMS drops detail before it spends a segment: the country name for its code, then the city, then
// the place, then the device. In a locale whose SMS is GSM-7, values with characters GSM-7 cannot
// carry even after transliteration (北京, Москва) are left out rather than switching the whole SMS
// to UCS-2; a locale whose SMS is UCS-2 anyway keeps them. The authenticator's name (48 characters
// at most) stays in every variant: which key or passkey provider was used or added is worth a segment.
function smsVariants(
  deviceShort: string,
  place: { city: string; country: string; countryCode: string },
  catalog: Catalog,
  gsmSms: boolean,
): [string, string][] {
  const fit = (text: string) => (gsmSms ? (toGsm(text) ?? '') : text);
  const device = fit(deviceShort);
  const city = fit(place.city);
  const country = fit(place.country);
  const code = place.countryCode;
  const near = (c: string, k: string) => fit(placePhrase(c, k, catalog));
  // A bare country code ("near GB") reads badly on its own, so it only ever follows a city.
  const combos: [string, string][] = [
    [device, near(city, country)],
    [device, near(city, code)],
    [device, near('', country)],
    [device, ''],
    ['', near('', country)],
    ['', ''],
  ];
  const seen = new Set<string>();
  return combos.filter(([d, w]) => {
    const key = `${d}\u0000${w}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// What the containment notice's messages select on: the outcome, and which action was taken.
function containmentChoices(containment: RenderInput['containment']): Pick<NoticeView, 'status' | 'action'> {
  return {
    status: containment?.status === 'failed' ? 'failed' : 'succeeded',
    action:
      containment?.action === 'credential_removed'
        ? 'credential'
        : containment?.action === 'all_sessions_revoked'
          ? 'everywhere'
          : 'session',
  };
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
