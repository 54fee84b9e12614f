/** `login-alerts start`, then `login-alerts demo`, as a person runs them (on the harness's broker). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/child-server.js';
import { testEnv } from '../support/pipeline-harness.js';

const BIN = join(process.cwd(), 'bin', 'login-alerts.js');

let start: ChildProcess | undefined;
let startOutput = '';

afterAll(async () => {
  if (start && start.exitCode === null && start.signalCode === null) {
    start.kill('SIGKILL');
    await new Promise((r) => start!.once('exit', r));
  }
});

/** Resolves with the output so far once `pattern` appears in it; rejects if the process exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${startOutput}`)),
      timeoutMs,
    );
    const check = () => {
      if (pattern.test(startOutput)) {
        clearTimeout(timer);
        resolve(startOutput);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code} before ${pattern}:\n${startOutput}`));
    });
    check();
  });
}

describe('start and demo', () => {
  it('start runs the pipeline, demo plays the story and prints its alerts, Ctrl-C stops with 0', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...testEnv('memory', {
        HTTP_PORT: String(await freePort()),
        ADMIN_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      }),
    };
    // Let start choose the email inbox (8005 when free): the test follows what start prints.
    delete env.SES_ENDPOINT;
    delete env.SES_REGION;
    start = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    start.stdout!.on('data', (chunk: Buffer) => {
      startOutput += chunk.toString('utf8');
    });
    start.stderr!.on('data', (chunk: Buffer) => {
      startOutput += chunk.toString('utf8');
    });
    await waitForOutput(start, /Next, in another terminal: (.*)\n/, 40_000);

    // The command start prints is the one to run: its variables point the demo at this pipeline.
    const next = /Next, in another terminal: (.*)\n/.exec(startOutput)![1]!;
    expect(next).toMatch(/npx login-alerts demo$/);
    expect(startOutput).toContain(`KAFKA_BROKERS=${env.KAFKA_BROKERS}`);
    expect(startOutput).not.toMatch(/"level":"error"/);
    const demoEnv = { ...env };
    for (const pair of next.split(' ').filter((w) => w.includes('='))) {
      const i = pair.indexOf('=');
      demoEnv[pair.slice(0, i)] = pair.slice(i + 1);
    }
    const demo = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'demo'], { env: demoEnv, timeout: 45_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    const out = demo.stdout;
    const step = (n: number) => {
      const lines = out.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`${String(n).padStart(2)}. `));
      return lines.slice(i, i + 3).join('\n');
    };
    // History two days ago: published stale, nobody notified; then the usual place is known.
    expect(step(1)).toMatch(/→ ALERT new_login · WARNING[\s\S]*nobody notified/);
    // One alert per session: the first sign-in alerts, its repeats and the redelivery do not.
    expect(step(2)).toMatch(/→ ALERT new_login · INFO · known device, usual place/);
    expect(step(3)).toContain('this session was already alerted');
    expect(step(4)).toContain('this session was already alerted');
    expect(step(5)).toContain('this event id was already processed');
    expect(step(6)).toMatch(/Tokyo[\s\S]*→ ALERT new_login · CRITICAL · .*impossible_travel/);
    expect(step(7)).toContain('below the failure threshold');
    expect(step(8)).toContain('below the failure threshold');
    expect(step(9)).toMatch(/→ ALERT failed_attempts · CRITICAL · failure_burst/);
    expect(step(10)).toMatch(/→ ALERT account_change · WARNING · credential_added/);
    expect(step(11)).toMatch(/→ ALERT new_login · WARNING/);
    expect(step(12)).toMatch(/Cai[\s\S]*not enrolled/);
    expect(out).toContain('6 alerts from 12 events.');
    expect(out).toMatch(/channels: .*email:sent/);
    // Emails in both languages in start's local inbox.
    expect(out).toMatch(/to ana\.souza\+\w+@example\.com: .*(login|segurança).*/);
    expect(out).toMatch(/to ana\.souza\+\w+@example\.com: Novo login na sua conta ChatGPT/);
    expect(out).toMatch(/to ben\.hale\+\w+@example\.com: Was this you\?/);

    const exited = new Promise<number | null>((r) => start!.once('exit', (code) => r(code)));
    start.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(startOutput).toMatch(/stopped\n/);
  }, 90_000);
});
