/** The security dashboard in a real headless Chromium, fed by the real pipeline on the real broker. */

import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { uniqueName } from '../support/env.js';
import { failedSignIn, IP_SAO_PAULO, IP_TOKYO, profile, signIn, UA_WIN_FIREFOX } from '../support/events.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';

const IP_BERLIN_SERVER = '185.220.101.1';

let t: TestPipeline;
let browser: Browser;
let alerts: Watch;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestPipeline('memory'), launchChromium()]);
  alerts = await t.watch('loginAlerts');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** A dashboard page whose event stream is live; page errors and dialogs fail the test that asserts on them. */
async function openDashboard(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/favicon/.test(msg.location().url))
      problems.push(`console: ${msg.text()}`);
  });
  await page.goto(`${t.pipeline.adminUrl}/`);
  await page.locator('#status', { hasText: 'live' }).waitFor();
  return { page, problems };
}

async function enrol(account: string, extra: Parameters<typeof profile>[1] = {}): Promise<void> {
  await t.publish('accountSecurity', [{ key: account, value: profile(account, extra) }]);
  await t.profileApplied(account);
}

/** Waits until the locator matches exactly `n` elements (more is a failure too: duplicates). */
async function countReaches(locator: Locator, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let count = await locator.count();
  while (count < n && Date.now() < deadline) {
    await sleep(100);
    count = await locator.count();
  }
  await sleep(200); // a duplicate row would show up right behind the last one
  expect(await locator.count()).toBe(n);
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** The signed "This wasn't me" link in the outbox email of `alertId`, on the test server's address. */
async function reportLink(alertId: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = (await outboxLines<{ alert_id: string; text: string }>(t.config.outboxDir!)).find(
      (l) => l.alert_id === alertId,
    );
    const link = /https?:\/\/\S+?\/r\/[A-Za-z0-9_.-]+/.exec(line?.text ?? '')?.[0];
    if (link) return `${t.pipeline.httpUrl}${new URL(link).pathname}`;
    if (Date.now() > deadline) throw new Error(`no report link in the email of ${alertId}`);
    await sleep(100);
  }
}

describe('the security dashboard', () => {
  it('shows impossible travel, a failure burst and a user report live, newest first', async () => {
    const { page, problems } = await openDashboard();
    const account = uniqueName('acct-dash');
    await enrol(account);

    await t.publish('authEvents', [
      {
        key: account,
        value: signIn(account, { occurred_at: minutesAgo(25).toISOString(), client: { ip: IP_SAO_PAULO } }),
      },
      {
        key: account,
        value: signIn(account, {
          occurred_at: minutesAgo(5).toISOString(),
          client: { ip: IP_TOKYO, user_agent: UA_WIN_FIREFOX },
        }),
      },
      ...[4, 3, 2].map((m) => {
        const failed = failedSignIn(account, minutesAgo(m));
        return { key: account, value: { ...failed, product: 'api', client: { ip: IP_BERLIN_SERVER } } };
      }),
    ]);

    const rows = page.locator('#alerts tr');
    await countReaches(rows, 3);
    const [burst, travel, first] = [rows.nth(0), rows.nth(1), rows.nth(2)];

    expect(await burst.getAttribute('data-kind')).toBe('failed_attempts');
    expect(await burst.locator('.sev').textContent()).toBe('critical');
    expect(await burst.textContent()).toContain('failure_burst (3 attempts)');
    expect(await burst.textContent()).toContain('Berlin');

    expect(await travel.getAttribute('data-kind')).toBe('new_login');
    expect(await travel.locator('.sev').textContent()).toBe('critical');
    expect(await travel.textContent()).toContain('impossible_travel');
    expect(await travel.textContent()).toMatch(/Tokyo, Japan/);
    expect(await travel.textContent()).toContain('Firefox 131 · Windows 10');

    expect(await first.locator('.sev').textContent()).toBe('warning');
    expect(await first.textContent()).toMatch(/Sao Paulo, .*Brazil/);
    expect(await first.textContent()).not.toContain('impossible_travel');

    // Newest first by when it happened, whatever order the alerts arrived in.
    const times = await rows.evaluateAll((trs) =>
      trs.map((tr) => Number((tr as unknown as { dataset: { at: string } }).dataset.at)),
    );
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(await page.locator('#counts [data-severity=critical] b').textContent()).toBe('2');
    expect(await page.locator('#dots circle').count()).toBe(3);
    expect(await page.locator('#paths line').count()).toBe(1); // São Paulo → Tokyo

    // The account holder follows "This wasn't me" in the email about the Tokyo sign-in.
    const travelId = (await travel.getAttribute('data-alert-id'))!;
    const confirm = await browser.newPage();
    await confirm.goto(await reportLink(travelId));
    await Promise.all([confirm.waitForURL(/\/r\//), confirm.locator('button[type=submit]').click()]);
    await confirm.close();

    await countReaches(rows, 4);
    const report = rows.nth(0);
    expect(await report.getAttribute('data-kind')).toBe('user_reported');
    expect(await report.locator('.reported').textContent()).toBe('reported by user');
    expect(await report.locator('.sev').textContent()).toBe('critical');
    // …and the alert it reported carries the marker too.
    expect(await page.locator(`tr[data-alert-id="${travelId}"] .reported`).textContent()).toBe(
      'reported by user',
    );
    expect(await page.locator('.reported').count()).toBe(2);

    await page.screenshot({ path: await artifactPath('dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows attacker-controlled text as text, never as markup', async () => {
    const { page, problems } = await openDashboard();
    const payload = '<img src=x onerror=window.__pwned=1>';
    const account = `acct-<b id=injected>${uniqueName('x')}</b>`;
    await enrol(account, { contacts: { email: `${uniqueName('x')}@example.com` } });
    const ua = `Mozilla/5.0 (Linux; Android 14; ${payload} Build/UP1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36`;
    await t.publish('authEvents', [
      { key: account, value: signIn(account, { client: { ip: IP_TOKYO, user_agent: ua } }) },
    ]);

    const sent = await alerts.waitFor(1, account);
    expect((sent[0]!.value as LoginAlert).device?.model).toBe(payload); // the pipeline passed it on as data
    const row = page.locator('#alerts tr', { hasText: account });
    await row.waitFor({ timeout: 20_000 });

    expect(await row.textContent()).toContain(payload);
    expect(await row.textContent()).toContain(account);
    expect(await page.locator('#alerts img, #alerts b, #injected').count()).toBe(0);
    await sleep(300); // an injected onerror would have fired by now
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#dots title').last().textContent()).toContain(account);
    expect(problems).toEqual([]);
    await page.screenshot({ path: await artifactPath('dashboard-escaping.png') });
    await page.close();
  });
});
