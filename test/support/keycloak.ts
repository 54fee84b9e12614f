/**
 * A real Keycloak for tests: the distribution comes from Maven Central once (org.keycloak:keycloak-quarkus-dist,
 * the version pinned in integrations/keycloak/pom.xml) into ~/.cache/login-alerts/keycloak-<version>; the
 * provider jar is built with Maven when its sources are newer than it, copied into providers/, and Keycloak runs
 * `start-dev` through `setpriv --pdeathsig TERM`, so it dies with the test process even on SIGKILL.
 * Keycloak re-runs its build step only when providers/ or the build options change, so later starts are faster.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../integrations/keycloak/', import.meta.url));
const POM = join(MODULE, 'pom.xml');
export const PROVIDER_JAR = join(MODULE, 'target', 'login-alerts-keycloak.jar');
const JAVA_HOME = process.env.KEYCLOAK_JAVA_HOME ?? '/usr/lib/jvm/temurin-25-jdk-amd64';
const MARKER = '.login-alerts-complete';

export interface RunningKeycloak {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first answer of /realms/master. */
  startMs: number;
  /** Resident memory of Keycloak's JVM in kB (from /proc), read when asked. */
  rssKb(): number | undefined;
  /** Keycloak's log so far (stdout and stderr); the file is removed when a started Keycloak stops. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    const keep = (b: Buffer) => {
      out = (out + b.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

async function keycloakVersion(): Promise<string> {
  const v = /<keycloak\.version>\s*([^<\s]+)\s*</.exec(await readFile(POM, 'utf8'))?.[1];
  if (!v) throw new Error(`${POM} has no <keycloak.version>`);
  return v;
}

/** The unpacked distribution, fetched through Maven and unzipped into a staging folder renamed into place. */
export async function ensureKeycloakDist(log: (line: string) => void = () => {}): Promise<string> {
  const version = await keycloakVersion();
  const cache = join(homedir(), '.cache', 'login-alerts');
  const home = join(cache, `keycloak-${version}`);
  if (existsSync(join(home, MARKER))) return home;
  await mkdir(cache, { recursive: true });
  const staging = await mkdtemp(join(cache, `keycloak-${version}.partial-`));
  try {
    log(`Fetching Keycloak ${version} with Maven into ${home} (once; about 180 MB)…`);
    const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:zip`;
    await run('mvn', [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=${artifact}`,
      `-DoutputDirectory=${staging}`,
    ]);
    await run('unzip', ['-q', join(staging, `keycloak-quarkus-dist-${version}.zip`), '-d', staging]);
    const unpacked = join(staging, `keycloak-${version}`);
    await writeFile(join(unpacked, MARKER), `${version}\n`);
    if (!existsSync(join(home, MARKER))) {
      await rm(home, { recursive: true, force: true });
      await rename(unpacked, home);
    }
    return home;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function newestSource(dir: string): Promise<number> {
  let newest = statSync(POM).mtimeMs;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds integrations/keycloak (the documented command) when the jar is missing or older than its sources. */
export async function ensureProviderJar(log: (line: string) => void = () => {}): Promise<string> {
  const built = existsSync(PROVIDER_JAR) ? statSync(PROVIDER_JAR).mtimeMs : 0;
  if (built > (await newestSource(join(MODULE, 'src')))) return PROVIDER_JAR;
  log('Building the Keycloak provider: mvn -q -f integrations/keycloak/pom.xml package');
  await run('mvn', ['-q', '-B', '-f', POM, 'package']);
  return PROVIDER_JAR;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resident memory (kB) of the biggest process in the group: kc.sh keeps running beside its JVM. */
function groupRssKb(pgid: number): number | undefined {
  let best: number | undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const rss = Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
      best = Math.max(best ?? 0, rss);
    } catch {
      // the process ended while we looked
    }
  }
  return best;
}

/**
 * kc.sh runs its JVM as a child, and a parent-death signal is not inherited: the wrapper gets it and passes it
 * to its whole process group (kc.sh and the JVM), so Keycloak dies with the test process even on SIGKILL.
 */
const GROUP_WRAPPER = 'trap \'trap "" TERM; kill -TERM 0 2>/dev/null; exit 143\' TERM; "$0" "$@" & wait $!';

/** Starts Keycloak with the provider installed and the given extra environment; resolves once it answers. */
export async function startKeycloak(
  env: Record<string, string>,
  timeoutMs = 200_000,
): Promise<RunningKeycloak> {
  const home = await ensureKeycloakDist();
  const jar = await ensureProviderJar();
  await mkdir(join(home, 'providers'), { recursive: true });
  const installed = join(home, 'providers', 'login-alerts-keycloak.jar');
  // Copying an unchanged jar would still look like a change to Keycloak's build check; copy only when it differs.
  if (
    !existsSync(installed) ||
    statSync(installed).size !== statSync(jar).size ||
    statSync(installed).mtimeMs < statSync(jar).mtimeMs
  )
    await copyFile(jar, installed);
  const port = await freePort();
  const logFile = join(home, `keycloak-${port}.log`);
  const log = await open(logFile, 'w');
  const started = Date.now();
  const child: ChildProcess = spawn(
    '/usr/bin/setpriv',
    [
      '--pdeathsig',
      'TERM',
      '/bin/bash',
      '-c',
      GROUP_WRAPPER,
      join(home, 'bin', 'kc.sh'),
      'start-dev',
      '--db=dev-mem',
      `--http-port=${port}`,
      '--http-host=127.0.0.1',
    ],
    {
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        JAVA_HOME,
        KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
        KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin',
        // A test Keycloak lives for minutes: the C1-only JIT starts it with less CPU on small machines.
        JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
        ...env,
      },
    },
  );
  await log.close();
  const pid = child.pid;
  if (pid === undefined) throw new Error('kc.sh did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const killOnExit = () => signalGroup('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // The JVM may outlive the wrapper by a moment; nothing of the group may survive the test.
    await until(() => groupRssKb(pid) === undefined, 15_000).catch(() => signalGroup('SIGKILL'));
    process.removeListener('exit', killOnExit);
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited (${child.exitCode}); see ${logFile}`);
    const ok = await fetch(`${url}/realms/master`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`Keycloak did not answer within ${timeoutMs} ms; see ${logFile}`);
    }
    await sleep(500);
  }
  const startMs = Date.now() - started;
  // A Keycloak that started keeps no log behind (a failed start keeps its log: it is the evidence).
  const stopAndClean = async () => {
    await stop();
    await rm(logFile, { force: true });
  };
  return {
    url,
    pid,
    startMs,
    rssKb: () => groupRssKb(pid),
    log: () => readFile(logFile, 'utf8'),
    stop: stopAndClean,
  };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(200);
  }
}
