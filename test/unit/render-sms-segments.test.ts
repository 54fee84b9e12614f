// Every kind of notice, in every locale, as an SMS of at most two segments, with the longest values
// a real alert carries. Latin-script locales stay in GSM-7 (160 septets, 153 per part); the others
// are UCS-2 (70 UTF-16 units, 67 per part), so their texts are written shorter.
import {
  createRenderer,
  DEFAULT_TEMPLATES_DIR,
  NOTICE_KINDS,
  type RenderInput,
} from '../../src/notify/render.js';
import { smsSegments } from '../../src/notify/sms.js';
import { loadTemplateSet } from '../../src/notify/templates.js';

const renderer = createRenderer();
const LOCALES = [...loadTemplateSet(DEFAULT_TEMPLATES_DIR).catalogs.keys()];
const GSM_LOCALES = new Set(['en', 'pt-BR', 'es', 'fr', 'de', 'it']);

// The longest of what the vocabularies and the geo data give: the longest product name, a 48-character
// authenticator, a vendor and model, a long city in a country with a long name, a half-hour zone,
// a four-digit count.
const longest: RenderInput = {
  kind: 'new_login',
  timeZone: 'Asia/Kolkata',
  occurredAt: '2026-11-24T17:05:00Z',
  product: 'platform',
  method: 'password_sms',
  device: {
    browser: 'Samsung Internet',
    browser_version: '27',
    os: 'Android',
    os_version: '14',
    vendor: 'Samsung',
    model: 'SM-S928B',
    device_type: 'mobile',
  },
  geo: { network: 'public', city: 'Saint-Rémy-de-Provence', country_code: 'CF' },
  severity: 'critical',
  reasons: ['new_device', 'new_country', 'impossible_travel'],
  failureCount: 1234,
  authenticator: 'YubiKey 5 Series with NFC (Enhanced PIN)',
  change: 'credential.added',
  reportUrl: 'https://alerts.example.com/r/AQAAAAA.abcdefghijklmnopqrstuv',
  settingsUrl: 'https://chatgpt.com/#settings/Security',
};

const CONTAINMENTS = [
  { action: 'session_revoked', status: 'done' },
  { action: 'all_sessions_revoked', status: 'done' },
  { action: 'credential_removed', status: 'done' },
  { action: 'session_revoked', status: 'failed' },
  { action: 'credential_removed', status: 'failed' },
] as const;

describe.each(LOCALES)('SMS in %s', (locale) => {
  interface Case {
    label: string;
    input: Partial<RenderInput>;
    /** the text names the time of the event */
    timed: boolean;
  }
  const cases: Case[] = NOTICE_KINDS.flatMap((kind): Case[] => {
    if (kind === 'containment')
      return CONTAINMENTS.map((containment) => ({
        label: `${kind} ${containment.action} ${containment.status}`,
        input: { kind, containment },
        timed: containment.action === 'session_revoked' && containment.status === 'done',
      }));
    if (kind === 'account_change')
      return (['credential.added', 'credential.removed', 'recovery.changed', 'api_key.created'] as const).map(
        (change) => ({ label: `${kind} ${change}`, input: { kind, change }, timed: true }),
      );
    return [{ label: kind, input: { kind }, timed: kind !== 'enrolled' }];
  });

  test.each(cases.map((c) => [c.label, c] as const))(
    '%s fits two segments with the longest values',
    (_, c) => {
      const out = renderer.render({ ...longest, ...c.input, locale });
      const size = smsSegments(out.sms);
      expect([out.sms, size.segments <= 2]).toEqual([out.sms, true]);
      expect(size.encoding).toBe(GSM_LOCALES.has(locale) ? 'GSM-7' : 'UCS-2');
      // The facts that must survive any shortening: the product and, where the text names it, the time.
      expect(out.sms).toContain('OpenAI Platform');
      if (c.timed) expect(out.sms).toMatch(/35/);
      expect(out.sms).not.toMatch(/https?:|\.\.\.$/);
    },
  );
});
