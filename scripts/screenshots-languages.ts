/**
 * Regenerates docs/alert-email-ar.png and docs/alert-email-ja.png: the critical new sign-in email,
 * rendered by the product's renderer in Arabic (right to left) and Japanese, photographed in
 * headless Chromium.
 *
 *   node --import tsx scripts/screenshots-languages.ts
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRenderer } from '../src/notify/render.js';
import { launchChromium } from '../test/support/browser.js';

const DOCS = fileURLToPath(new URL('../docs', import.meta.url));

async function main(): Promise<void> {
  const renderer = createRenderer();
  const browser = await launchChromium();
  try {
    for (const [locale, timeZone] of [
      ['ar', 'Asia/Riyadh'],
      ['ja', 'Asia/Tokyo'],
    ] as const) {
      const { email } = renderer.render({
        kind: 'new_login',
        locale,
        timeZone,
        occurredAt: '2026-11-24T17:05:00Z',
        product: 'chatgpt',
        method: 'passkey',
        device: { browser: 'Chrome', browser_version: '129', os: 'macOS', device_type: 'desktop' },
        geo: { network: 'public', city: 'São Paulo', country_code: 'BR' },
        severity: 'critical',
        reasons: ['new_country', 'new_device', 'impossible_travel'],
        authenticator: 'YubiKey 5 Series',
        reportUrl: 'https://alerts.example.com/r/AQAAAAA.example',
        settingsUrl: 'https://chatgpt.com/#settings/Security',
      });
      const page = await browser.newPage({ viewport: { width: 640, height: 800 }, deviceScaleFactor: 1 });
      await page.setContent(email.html, { waitUntil: 'load' });
      await page.screenshot({ path: join(DOCS, `alert-email-${locale}.png`), fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

await main();
