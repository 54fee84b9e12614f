/** "This wasn't me", from the link in a delivered email to the security topic, on the real broker. */
import type { LoginAlert } from '../../src/contracts/login-alert.js';
import { signLink } from '../../src/notify/links.js';
import { enrolQuietly, receipt, until } from '../support/delivery-kit.js';
import { uniqueName } from '../support/env.js';
import { signIn, UA_MAC_CHROME } from '../support/events.js';
import { outboxLines } from '../support/outbox-lines.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';

let t: TestPipeline;
let receipts: Watch;
let alerts: Watch;

beforeAll(async () => {
  t = await startTestPipeline('memory');
  receipts = await t.watch('deliveries');
  alerts = await t.watch('loginAlerts');
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const alertsOf = (account: string) =>
  alerts.values.filter((v) => v.key === account).map((v) => v.value as LoginAlert);
const reportsOf = (account: string) => alertsOf(account).filter((a) => a.kind === 'user_reported');

/** The signed link in the outbox email of `alertId`, moved onto the test server's address. */
async function linkFromOutbox(alertId: string): Promise<string> {
  const line = (
    await outboxLines<{ alert_id: string; text: string; html: string }>(t.config.outboxDir!)
  ).find((l) => l.alert_id === alertId);
  const link = /https?:\/\/\S+?\/r\/[A-Za-z0-9_.-]+/.exec(line?.text ?? '')?.[0];
  if (!link) throw new Error(`no report link in the email of ${alertId}`);
  expect(line?.html).toContain(new URL(link).pathname);
  return `${t.pipeline.httpUrl}${new URL(link).pathname}`;
}

describe('the “This wasn’t me” link', () => {
  it('confirms on GET without publishing, reports once on POST, then refuses reuse', async () => {
    const { account } = await enrolQuietly(
      t,
      { email: `${uniqueName('r')}@example.com` },
      { locale: 'pt-BR', timezone: 'America/Sao_Paulo' },
    );
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const sent = await receipt(receipts, account, (r) => r.status === 'sent');
    const url = await linkFromOutbox(sent.alert_id);

    const get = await fetch(url);
    const page = await get.text();
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('text/html');
    expect(page).toContain('lang="pt-BR"');
    expect(page).toContain('Não foi você?');
    expect(page).toMatch(/<form method="post"/);
    expect(page).not.toContain(UA_MAC_CHROME);
    expect(page).not.toContain('Mozilla/5.0');

    const post = await fetch(url, { method: 'POST' });
    const confirmed = await post.text();
    expect(post.status).toBe(200);
    expect(confirmed).toContain('lang="pt-BR"');
    expect(confirmed).not.toContain('Mozilla/5.0');
    const [report] = await until('the user_reported alert', () => {
      const r = reportsOf(account);
      return r.length > 0 ? r : undefined;
    });
    expect(report).toMatchObject({
      kind: 'user_reported',
      account_id: account,
      reported_alert_id: sent.alert_id,
      severity: 'critical',
    });

    const again = await fetch(url, { method: 'POST' });
    expect(again.status).toBe(409);
    await again.text();
    expect((await fetch(url)).status).toBe(409);

    // A marker behind any report on the account's partition: once it is out, nothing else came.
    const marker = signIn(account);
    await t.publish('authEvents', [{ key: account, value: marker }]);
    await until('the marker alert', () => alertsOf(account).find((a) => a.session_id === marker.session_id));
    // The GET published nothing and the second POST neither: one report in all.
    expect(reportsOf(account)).toHaveLength(1);
  });

  it('answers 400 for a forged token and 410 for an expired one', async () => {
    const secret = t.config.links.secret;
    const token = signLink(
      {
        alertId: 'al_forged',
        accountId: uniqueName('acct'),
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      secret,
    );
    // Flip one character of the payload: the mac no longer holds.
    const i = 6;
    const flipped = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
    const forged = await fetch(`${t.pipeline.httpUrl}/r/${flipped}`);
    expect(forged.status).toBe(400);
    await forged.text();
    const post = await fetch(`${t.pipeline.httpUrl}/r/${flipped}`, { method: 'POST' });
    expect(post.status).toBe(400);
    await post.text();

    const expired = signLink(
      {
        alertId: 'al_old',
        accountId: uniqueName('acct'),
        expiresAt: Math.floor(Date.now() / 1000) - 60,
        locale: 'pt-BR',
      },
      secret,
    );
    const old = await fetch(`${t.pipeline.httpUrl}/r/${expired}`, { method: 'POST' });
    expect(old.status).toBe(410);
    // verifyLink gives no claims for an expired token, so the page is in the default language.
    expect(await old.text()).toContain('<html lang=');
  });

  it('rate-limits the link pages per address (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      // A different token each time: only the per-address budget applies.
      const res = await fetch(`${t.pipeline.httpUrl}/r/not-a-token-${i}`);
      await res.text();
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    // Retry-After: the seconds left in the one-minute window.
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // Earlier tests in this file used part of the 30-a-minute budget from this address.
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(30);
    expect((await fetch(`${t.pipeline.httpUrl}/healthz`)).status).toBe(200);
  });
});
