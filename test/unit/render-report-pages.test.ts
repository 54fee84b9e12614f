import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEMPLATES_DIR } from '../../src/notify/render.js';
import {
  createReportPages,
  REPORT_PAGE_HEADERS,
  REPORT_PAGE_KINDS,
  REPORT_PAGE_STATUS,
  renderReportPage,
} from '../../src/notify/report-pages.js';

describe.each(['en', 'pt-BR'])('report pages in %s', (locale) => {
  test.each(REPORT_PAGE_KINDS)('%s renders as a self-contained page', (kind) => {
    const html = renderReportPage(kind, locale, { settingsUrl: 'https://chatgpt.com/#settings/Security' });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`<html lang="${locale}" dir="ltr">`);
    expect(html).toContain('<meta name="referrer" content="no-referrer">');
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(REPORT_PAGE_STATUS[kind]).toBeGreaterThanOrEqual(200);
  });
});

describe('the confirmation page', () => {
  test('POSTs to its own URL, so only a deliberate press confirms', () => {
    const html = renderReportPage('confirm', 'en');
    expect(html).toMatch(/<form method="post">/);
    expect(html).not.toContain('action=');
    expect(html).toContain("Yes, this wasn't me");
  });

  test('is localised, and falls back to English', () => {
    expect(renderReportPage('confirm', 'pt')).toContain('Confirmo, não fui eu');
    expect(renderReportPage('expired', 'ja')).toContain('このリンクは期限切れです');
    expect(renderReportPage('expired', 'zh-TW')).toContain('This link has expired');
    expect(renderReportPage('expired', 'x-klingon')).toContain('This link has expired');
    expect(renderReportPage('used', undefined)).toContain('already');
  });
});

test('a settings link that is not http(s) is left out', () => {
  const html = renderReportPage('confirmed', 'en', { settingsUrl: 'javascript:alert(1)' });
  expect(html).not.toContain('javascript:');
  expect(html).toContain('Review your security settings');
});

test('the headers forbid scripts, framing and referrers', () => {
  expect(REPORT_PAGE_HEADERS['content-security-policy']).toContain("default-src 'none'");
  expect(REPORT_PAGE_HEADERS['content-security-policy']).toContain("form-action 'self'");
  expect(REPORT_PAGE_HEADERS['referrer-policy']).toBe('no-referrer');
});

test('a missing page template stops start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pages-'));
  try {
    cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
    rmSync(join(dir, 'report_used.html.hbs'));
    expect(() => createReportPages({ templatesDir: dir })).toThrow('report_used.html.hbs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the pages name what is reported and what is being done (v1.2)', () => {
  const signIn = {
    kind: 'new_login' as const,
    device: { browser: 'Firefox', browser_version: '133.0', os: 'Windows', os_version: '10' },
    geo: { network: 'public' as const, country_code: 'JP', city: 'Tokyo' },
    occurredAt: '2026-12-06T01:32:00Z',
    timeZone: 'America/Sao_Paulo',
    canEndSession: true,
    canRemoveCredential: false,
  };

  test('a sign-in: device, approximate place and time in the person’s zone, and two explicit choices', () => {
    const html = renderReportPage('confirm', 'en', { reported: signIn });
    expect(html).toContain("You're reporting this sign-in:");
    // The facts in a table of their own, labelled as in the email: no phrase composes them.
    expect(html).toMatch(/<th>Where<\/th><td>near Tokyo, Japan<\/td>/);
    expect(html).toMatch(/<th>Device<\/th><td>Firefox 133 on Windows<\/td>/);
    expect(html).toContain('22:32');
    expect(html).toContain('name="scope" value="session"');
    expect(html).toContain('name="scope" value="everywhere"');
    const pt = renderReportPage('confirm', 'pt-BR', { reported: signIn });
    expect(pt).toContain('Japão');
    expect(pt).toContain('sair de todos os dispositivos');
  });

  test('a fact the event lacks reads as a label and a value, never inside a sentence', () => {
    const change = {
      ...signIn,
      kind: 'account_change' as const,
      device: undefined,
      geo: { network: 'private' as const },
    };
    const html = renderReportPage('confirm', 'en', { reported: change });
    expect(html).toContain("You're reporting this change to your account:");
    expect(html).toMatch(/<th>Where<\/th><td>A private or local network<\/td>/);
    expect(html).toMatch(/<th>Device<\/th><td>Unknown device<\/td>/);
    const ar = renderReportPage('confirm', 'ar', { reported: signIn });
    expect(ar).toContain('<td><bdi>\u2068Firefox 133\u2069 على \u2068Windows\u2069</bdi></td>');
  });

  test('after confirming: the session, or every session, is being ended', () => {
    expect(renderReportPage('confirmed', 'en', { reported: signIn, scope: 'session' })).toContain(
      'signing out Firefox 133 on Windows now',
    );
    expect(renderReportPage('confirmed', 'en', { reported: signIn, scope: 'everywhere' })).toContain(
      'signing you out everywhere',
    );
    expect(renderReportPage('confirmed', 'pt-BR', { reported: signIn, scope: 'everywhere' })).toContain(
      'encerrando todas as suas sessões',
    );
  });

  test('nothing to end (failed attempts, or nothing kept): one button, and the security team is told', () => {
    const html = renderReportPage('confirm', 'en', { reported: { ...signIn, kind: 'failed_attempts' } });
    expect(html).not.toContain('value="everywhere"');
    expect(renderReportPage('confirm', 'en')).not.toContain("You're reporting");
    expect(renderReportPage('confirmed', 'en', {})).toContain('Our security team has been told.');
  });

  test('device text from an event cannot inject markup', () => {
    const html = renderReportPage('confirm', 'en', {
      reported: { ...signIn, device: { browser: '<img src=x onerror=alert(1)>', os: 'Windows' } },
    });
    expect(html).not.toMatch(/<img/i);
  });
});
