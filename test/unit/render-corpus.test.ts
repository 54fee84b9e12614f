// Every template over every device of the uap-core corpus and every city of MaxMind's test data
// (names in eight languages), plus hand-made hard cases: the limits the channels rely on must hold
// for all of them, and the raw user agent must never come out.
import { readFileSync } from 'node:fs';
import type { Geo, Reason, Severity } from '../../src/contracts/login-alert.js';
import { createDeviceParser } from '../../src/enrich/device.js';
import { reportUrl, signLink } from '../../src/notify/links.js';
import { toPushPayload } from '../../src/notify/push.js';
import { createRenderer, NOTICE_KINDS, type RenderInput } from '../../src/notify/render.js';
import { smsSegments, toGsm } from '../../src/notify/sms.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

const userAgents = [...new Set(fixture('user-agents/uap-core-corpus.txt').split('\n'))].filter(
  (l) => l.length > 0,
);

interface CityRecord {
  city?: { names: Record<string, string> };
  country?: { iso_code: string; names: Record<string, string> };
  subdivisions?: { names: Record<string, string> }[];
  location?: { latitude: number; longitude: number; accuracy_radius: number; time_zone?: string };
}

// One Geo per city name per language, so London is also tried as Лондон and ロンドン.
function fixtureGeos(): Geo[] {
  const records = JSON.parse(fixture('mmdb/GeoIP2-City-Test.source.json')) as Record<string, CityRecord>[];
  const geos: Geo[] = [];
  for (const entry of records) {
    for (const record of Object.values(entry)) {
      const names = record.city?.names ?? (record.country ? { en: '' } : {});
      for (const name of new Set(Object.values(names))) {
        geos.push({
          network: 'public',
          city: name || undefined,
          country_code: record.country?.iso_code,
          country_name: record.country?.names.en,
          region: record.subdivisions?.[0]?.names.en,
          latitude: record.location?.latitude,
          longitude: record.location?.longitude,
          time_zone: record.location?.time_zone,
        });
      }
    }
  }
  return geos;
}

const tricky: Geo[] = [
  { network: 'public', city: 'São Paulo', country_code: 'BR' },
  { network: 'public', city: 'Zürich', country_code: 'CH' },
  { network: 'public', city: '北京', country_code: 'CN' },
  { network: 'public', city: 'Москва', country_code: 'RU' },
  { network: 'public', city: 'Reykjavík', country_code: 'IS' },
  { network: 'public', city: 'القاهرة', country_code: 'EG' },
  {
    network: 'public',
    city: 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch',
    country_code: 'GB',
  },
  { network: 'public', city: 'Saint-Rémy-de-Provence', country_code: 'FR' },
  { network: 'public', city: 'Kinshasa', country_code: 'CD' },
  { network: 'public', city: 'King Edward Point', country_code: 'GS' },
  { network: 'public', city: 'Lon\u202Edon\nInjected: line', country_code: 'GB' },
  { network: 'public', city: '🏙️ City', country_code: 'ZZ', country_name: 'Nowhere\u0000land' },
  { network: 'public', country_code: 'UM' },
  { network: 'private' },
  { network: 'public' },
];

const geos = [...fixtureGeos(), ...tricky];
const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];
const REASONS: Reason[][] = [
  [],
  ['new_device', 'new_country'],
  ['impossible_travel', 'method_downgrade', 'anonymous_network', 'hosting_network', 'new_city', 'new_device'],
];
const SECRET = 'corpus-secret-0123456789';
// The longest token ids allow: the longest URL a push payload could carry.
const worstUrl = reportUrl(
  'https://alerts.example.com',
  signLink(
    { alertId: 'é'.repeat(128), accountId: '字'.repeat(128), expiresAt: 2_000_000_000, locale: 'pt-BR' },
    SECRET,
  ),
);

test('every template stays within channel limits over the whole UA corpus and every geo fixture', () => {
  const renderer = createRenderer();
  const parser = createDeviceParser({ cacheSize: 1 });
  const problems: string[] = [];
  const figures = {
    renders: 0,
    longestEnglishSms: '',
    worstSegments: 0,
    largestPushBytes: 0,
    longestSubject: 0,
  };
  const zones = [
    'America/Sao_Paulo',
    'Asia/Kolkata',
    'UTC',
    'Pacific/Chatham',
    'America/Argentina/ComodRivadavia',
  ];

  userAgents.forEach((ua, i) => {
    const device = parser.parse(ua);
    const geo = geos[i % geos.length] as Geo;
    for (const kind of NOTICE_KINDS) {
      for (const locale of ['en', 'pt-BR']) {
        const input: RenderInput = {
          kind,
          locale,
          timeZone: zones[i % zones.length],
          occurredAt: '2026-11-24T17:05:00Z',
          product: ['chatgpt', 'codex', 'api', 'some-new-product-with-a-very-long-id-x'][i % 4],
          method: i % 2 ? 'password_otp' : 'security_key',
          device,
          geo,
          severity: SEVERITIES[i % 3] as Severity,
          reasons: REASONS[i % 3] as Reason[],
          failureCount: 1000 + i,
          change: 'credential.removed',
          reportUrl: worstUrl,
          settingsUrl: 'https://chatgpt.com/#settings/Security',
        };
        const out = renderer.render(input);
        figures.renders++;
        const where = `${kind}/${locale} ua#${i} city=${JSON.stringify(geo.city)}`;
        const sms = smsSegments(out.sms);
        figures.worstSegments = Math.max(figures.worstSegments, sms.segments);
        if (sms.segments > 2 || sms.segments < 1) problems.push(`${where}: SMS has ${sms.segments} segments`);
        if (locale === 'en') {
          if (sms.encoding !== 'GSM-7' || sms.segments !== 1)
            problems.push(`${where}: English SMS ${JSON.stringify(sms)}`);
          if (out.sms.length > figures.longestEnglishSms.length) figures.longestEnglishSms = out.sms;
          // A representable city of up to 20 characters always fits beside a short product and device.
          const city = geo.city === undefined ? undefined : toGsm(geo.city);
          const deviceShort = [device.browser, device.os].filter(Boolean).join(' on ');
          const roomy = kind === 'new_login' && i % 4 < 2 && deviceShort.length <= 20;
          if (roomy && city && city.length <= 20 && !/\n/.test(city) && !out.sms.includes(city)) {
            problems.push(`${where}: representable city dropped from ${JSON.stringify(out.sms)}`);
          }
        }
        if (/https?:/.test(out.sms)) problems.push(`${where}: SMS carries a link`);
        const push = toPushPayload(out.push, {
          url: worstUrl,
          kind,
          severity: input.severity,
          alertId: 'f'.repeat(64),
        });
        const bytes = Buffer.byteLength(JSON.stringify(push));
        figures.largestPushBytes = Math.max(figures.largestPushBytes, bytes);
        if (bytes >= 3993) problems.push(`${where}: push payload ${bytes} bytes`);
        const subject = out.email.subject;
        figures.longestSubject = Math.max(figures.longestSubject, Array.from(subject).length);
        if (/[\r\n]/.test(subject) || Array.from(subject).length > 120 || subject.length === 0) {
          problems.push(`${where}: subject ${JSON.stringify(subject)}`);
        }
        for (const text of [out.email.text, out.email.html, out.sms, out.push.title, out.push.body]) {
          // Some corpus entries are bare names ("Nokia Mobile Browser 3.01") that parse to themselves.
          if (/[/;(]/.test(ua) && text.includes(ua)) problems.push(`${where}: raw user agent rendered`);
          if (/(?!\n)[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(text))
            problems.push(`${where}: control or bidi character`);
        }
        if (/Injected: line/.test(out.email.text) && /\nInjected/.test(out.email.text)) {
          problems.push(`${where}: newline injected into text`);
        }
      }
    }
  });

  expect(problems.slice(0, 20)).toEqual([]);
  expect(figures.renders).toBe(userAgents.length * NOTICE_KINDS.length * 2);
  // Reported by hand in the change description; printed so a run shows the current margins.
  console.log(
    JSON.stringify({
      renders: figures.renders,
      longestEnglishSms: figures.longestEnglishSms.length,
      longestEnglishSmsText: figures.longestEnglishSms,
      worstSegments: figures.worstSegments,
      largestPushBytes: figures.largestPushBytes,
      longestSubject: figures.longestSubject,
    }),
  );
});
