/**
 * Regenerates docs/dashboard.png and docs/alert-email.png from the real product: runs
 * `login-alerts start` (on KAFKA_BROKERS when set, otherwise its own local broker), plays
 * `login-alerts demo`, then photographs the dashboard and the critical impossible-travel email
 * from start's local inbox in headless Chromium.
 *
 *   node --import tsx scripts/screenshots.ts
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/browser.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'login-alerts.js');
const DOCS = join(ROOT, 'docs');

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { html?: string };
}

async function main(): Promise<void> {
  const port = await freePort();
  const adminPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PORT: String(port),
    ADMIN_PORT: String(adminPort),
    LOG_LEVEL: 'warn',
    OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'login-alerts-screenshots-')),
  };
  let output = '';
  const start = spawn(process.execPath, [BIN, 'start'], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  start.stdout!.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  start.stderr!.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  try {
    const next = await nextCommand(start, () => output, 120_000);
    const demoEnv = { ...env };
    for (const pair of next.split(' ').filter((w) => w.includes('='))) {
      const i = pair.indexOf('=');
      demoEnv[pair.slice(0, i)] = pair.slice(i + 1);
    }
    const demo = await run(process.execPath, [BIN, 'demo'], demoEnv);
    process.stdout.write(demo);
    const inbox = /Emails in the local inbox \((\S+)\/store\)/.exec(demo)?.[1];
    const run_ = /demo run (\w+)/.exec(demo)?.[1];
    if (!inbox || !run_) throw new Error('the demo printed no local inbox');

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      await page.goto(`http://127.0.0.1:${adminPort}/`);
      await page.locator('#status', { hasText: 'live' }).waitFor();
      await page.locator('#alerts tr[data-kind]').nth(4).waitFor();
      await page.screenshot({ path: join(DOCS, 'dashboard.png'), fullPage: true });

      const store = (await (await fetch(`${inbox}/store`)).json()) as { emails: StoredEmail[] };
      const mine = store.emails.filter((e) => e.destination.to.some((to) => to.includes(run_)));
      // The showcase: the critical impossible-travel alert (Ana, pt-BR: "login incomum").
      const email = mine.find((e) => /login incomum|unusual sign-in/i.test(e.subject)) ?? mine[0];
      if (!email?.body.html) throw new Error('no alert email with HTML in the inbox');
      const mail = await browser.newPage({ viewport: { width: 720, height: 900 } });
      await mail.setContent(email.body.html, { waitUntil: 'load' });
      await mail.screenshot({ path: join(DOCS, 'alert-email.png'), fullPage: true });
      console.log(`wrote docs/dashboard.png and docs/alert-email.png (“${email.subject}”)`);
    } finally {
      await browser.close();
    }
  } finally {
    if (start.exitCode === null) {
      const exited = new Promise((r) => start.once('exit', r));
      start.kill('SIGINT');
      await exited;
    }
  }
}

function nextCommand(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  const pattern = /Next, in another terminal: (.*)\n/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not get ready:\n${output()}`)), timeoutMs);
    const check = () => {
      const m = pattern.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}:\n${output()}`));
    });
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
