/**
 * The broker's jars for the local broker: fetched from Maven Central through kafka/pom.xml, once, into
 * a cache directory; later runs find a marker file there and never invoke Maven.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { packagePath } from '../package-files.js';

/** kafka/ at the package root: pom.xml pins the broker version, log4j2.properties configures its logs. */
export const KAFKA_DIR = packagePath('kafka');
const POM = join(KAFKA_DIR, 'pom.xml');
const MARKER = '.login-alerts-complete.json';

export type Progress = (line: string) => void;

export interface KafkaJarsOptions {
  /** Cache directory holding lib/; default ~/.cache/login-alerts/kafka-<version> (see kafkaHomeFromEnv). */
  home?: string;
  onProgress?: Progress;
}

export interface KafkaJars {
  libDir: string;
  version: string;
  /** True when Maven ran in this call; false when the cache was already complete. */
  downloaded: boolean;
}

/** The cache home a caller should pass, honouring LOGIN_ALERTS_KAFKA_HOME; env is passed in, never read here. */
export function kafkaHomeFromEnv(env: Record<string, string | undefined>): string | undefined {
  const home = env.LOGIN_ALERTS_KAFKA_HOME?.trim();
  return home ? home : undefined;
}

/** The broker version pinned in kafka/pom.xml, and a hash of the POM used as the cache key. */
export async function pinnedKafkaVersion(): Promise<{ version: string; pomHash: string }> {
  const pom = await readFile(POM, 'utf8').catch((err: unknown) => {
    throw new AppError('BROKER_START_FAILED', `cannot read ${POM}`, { cause: err });
  });
  const version = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new AppError('BROKER_START_FAILED', `${POM} has no <kafka.version> property`);
  return { version, pomHash: createHash('sha256').update(pom).digest('hex') };
}

interface Marker {
  version: string;
  pomHash: string;
  jars: string[];
}

async function readMarker(libDir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(join(libDir, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

async function isComplete(libDir: string, version: string, pomHash: string): Promise<boolean> {
  const marker = await readMarker(libDir);
  if (!marker || marker.version !== version || marker.pomHash !== pomHash || marker.jars.length === 0)
    return false;
  const present = new Set(await readdir(libDir).catch(() => []));
  return marker.jars.every((jar) => present.has(jar));
}

/**
 * Makes sure the broker's jars are in the cache, running Maven only when the cache is missing or stale.
 * Downloads go to a sibling temp directory that is renamed into place, so an interrupted run leaves no
 * half-filled lib/ behind and concurrent callers never see one.
 */
export async function ensureKafkaJars(opts: KafkaJarsOptions = {}): Promise<KafkaJars> {
  const { version, pomHash } = await pinnedKafkaVersion();
  const home = opts.home ?? join(homedir(), '.cache', 'login-alerts', `kafka-${version}`);
  const libDir = join(home, 'lib');
  if (await isComplete(libDir, version, pomHash)) return { libDir, version, downloaded: false };

  const progress = opts.onProgress ?? (() => {});
  await mkdir(home, { recursive: true });
  await removeStaleStaging(home);
  const staging = await mkdtemp(join(home, 'lib.partial-'));
  progress(`Fetching Apache Kafka ${version} jars with Maven into ${libDir} (once; about 45 MB)…`);
  const started = Date.now();
  try {
    await runMaven(staging, progress);
    const jars = (await readdir(staging)).filter((f) => f.endsWith('.jar')).sort();
    if (!jars.some((j) => j.startsWith(`kafka_2.13-${version}`))) {
      throw new AppError(
        'BROKER_START_FAILED',
        `Maven finished but kafka_2.13-${version}.jar is not in ${staging}`,
      );
    }
    const marker: Marker = { version, pomHash, jars };
    await writeFile(join(staging, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    if (await isComplete(libDir, version, pomHash)) {
      // Another process finished first; keep its copy.
      await rm(staging, { recursive: true, force: true });
    } else {
      await rm(libDir, { recursive: true, force: true });
      await rename(staging, libDir);
    }
    progress(`Kafka ${version} jars ready (${jars.length} jars, ${secondsSince(started)} s)`);
    return { libDir, version, downloaded: true };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Staging folders left by a run that was killed mid-download (an hour old: surely not still in use). */
async function removeStaleStaging(home: string): Promise<void> {
  for (const entry of await readdir(home).catch(() => [])) {
    if (!entry.startsWith('lib.partial-')) continue;
    const path = join(home, entry);
    const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > 3_600_000) await rm(path, { recursive: true, force: true });
  }
}

function runMaven(outputDir: string, progress: Progress): Promise<void> {
  const args = [
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDir}`,
  ];
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new AppError('BROKER_START_FAILED', 'cannot run mvn (is Maven installed?)', { cause: err }));
      return;
    }
    const tail: string[] = [];
    let files = 0;
    let bytes = 0;
    let lastReport = Date.now();
    let partial = '';
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        // "[INFO] Downloaded from central: https://…/x.jar (1.2 MB at 3.4 MB/s)": count files and bytes.
        const m = /Downloaded from \S+: \S+ \(([\d.]+) (B|kB|MB)/.exec(line);
        if (m) {
          files += 1;
          bytes += Number(m[1]) * (m[2] === 'MB' ? 1e6 : m[2] === 'kB' ? 1e3 : 1);
          if (Date.now() - lastReport > 2000) {
            lastReport = Date.now();
            progress(`  downloaded ${files} files (${(bytes / 1e6).toFixed(1)} MB)…`);
          }
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err) => {
      reject(
        new AppError('BROKER_START_FAILED', `cannot run mvn (is Maven installed?): ${err.message}`, {
          cause: err,
        }),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new AppError(
            'BROKER_START_FAILED',
            `mvn dependency:copy-dependencies failed with exit code ${code}:\n${tail.join('\n')}`,
          ),
        );
    });
  });
}

/** Seconds since `start`, one decimal, for progress lines. */
export function secondsSince(start: number): string {
  return ((Date.now() - start) / 1000).toFixed(1);
}
