/** The entry point's last-resort handlers, in a real child process (they act on `process`). */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const handlers = pathToFileURL(`${process.cwd()}/src/cli/process-handlers.ts`).href;
const logger = pathToFileURL(`${process.cwd()}/src/observe/logger.ts`).href;

function runChild(body: string) {
  const script = `
    import { dropKnownWarnings, installProcessHandlers } from '${handlers}';
    import { createLogger } from '${logger}';
    installProcessHandlers(createLogger('error'));
    ${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const lines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('process-level handlers', () => {
  it('logs an unhandled rejection with code UNHANDLED_REJECTION and keeps running', () => {
    const child = runChild(`
      Promise.reject(new Error('write to 10.1.2.3 failed'));
      setTimeout(() => console.log('still running'), 100);`);
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('still running');
    const [line] = lines(child.stderr);
    expect(line?.code).toBe('UNHANDLED_REJECTION');
    expect(line?.level).toBe('error');
    expect(JSON.stringify(line)).toContain('write to 10.1.x.x failed');
  });

  it('logs an uncaught exception with code UNCAUGHT_EXCEPTION and exits 1', () => {
    const child = runChild(`
      setTimeout(() => { throw new Error('state torn'); }, 10);
      setTimeout(() => console.log('should not run'), 2000);`);
    expect(child.status).toBe(1);
    expect(child.stdout).not.toContain('should not run');
    const [line] = lines(child.stderr);
    expect(line?.code).toBe('UNCAUGHT_EXCEPTION');
    expect(line?.level).toBe('fatal');
    expect((line?.err as { message?: string })?.message).toBe('state torn');
  });

  it('drops the negative-timeout warning kafkajs causes and lets every other warning through', () => {
    const child = runChild(`
      dropKnownWarnings();
      dropKnownWarnings();
      setTimeout(() => console.log('fired'), -1 - Date.now());
      process.emitWarning('a change is coming', 'DeprecationWarning');
      process.emitWarning(Object.assign(new Error('also kept'), { name: 'MyWarning' }));`);
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('fired');
    expect(child.stderr).not.toContain('TimeoutNegativeWarning');
    expect(child.stderr).toContain('DeprecationWarning: a change is coming');
    expect(child.stderr).toContain('MyWarning: also kept');
  });
});
