import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Geo } from '../../src/contracts/login-alert.js';
import { type GeoLookup, openGeo } from '../../src/enrich/geo.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/mmdb/${name}`, import.meta.url));

// 214.78.120.1 is San Diego in GeoIP2-City-Test and unknown in GeoLite2-City-Test;
// 81.2.69.160 is London in both, so it must answer London throughout a swap.
const CHANGING = '214.78.120.1';
const STEADY = '81.2.69.160';

/** Looks up both addresses every few milliseconds until `done` holds, recording every steady answer. */
async function lookUpUntil(geo: GeoLookup, done: (g: Geo) => boolean, timeoutMs = 15_000) {
  const steady: (string | undefined)[] = [];
  const started = Date.now();
  for (;;) {
    steady.push(geo.lookup(STEADY).city);
    const changing = geo.lookup(CHANGING);
    if (done(changing)) return { steady, changing };
    if (Date.now() - started > timeoutMs) throw new Error(`no reload within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Replaces `path` atomically: write beside it, then rename over it. */
function replaceAtomically(path: string, contents: string | Buffer, from?: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  if (from !== undefined) copyFileSync(from, tmp);
  else writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

describe('geo database reload', () => {
  let dir: string;
  let geo: GeoLookup | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'login-alerts-geo-'));
  });
  afterEach(() => {
    geo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks up a database replaced on disk while lookups keep answering', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(fixture('GeoLite2-City-Test.mmdb'), path);
    const reloads: string[] = [];
    geo = await openGeo({ cityDb: path, watch: true, onReload: (p) => reloads.push(p) });
    expect(geo.lookup(CHANGING)).toEqual({ network: 'public' });
    expect(geo.lookup(STEADY).city).toBe('London');

    replaceAtomically(path, '', fixture('GeoIP2-City-Test.mmdb'));
    const { steady, changing } = await lookUpUntil(geo, (g) => g.city === 'San Diego');

    expect(changing).toMatchObject({ country_code: 'US', city: 'San Diego' });
    expect(reloads).toEqual([path]);
    expect(steady.length).toBeGreaterThan(1);
    expect(steady.every((city) => city === 'London')).toBe(true);
  });

  it('keeps the previous database when the replacement is not a database, and reports it', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(fixture('GeoIP2-City-Test.mmdb'), path);
    const errors: { path: string; code: unknown }[] = [];
    const reloads: string[] = [];
    geo = await openGeo({
      cityDb: path,
      watch: true,
      onReload: (p) => reloads.push(p),
      onError: (p, e) => errors.push({ path: p, code: (e as { code?: unknown }).code }),
    });

    replaceAtomically(path, 'this is not an mmdb file');
    const started = Date.now();
    while (errors.length === 0 && Date.now() - started < 15_000) {
      expect(geo.lookup(CHANGING).city).toBe('San Diego');
      await sleep(5);
    }
    expect(errors).toEqual([{ path, code: 'GEO_DB_UNAVAILABLE' }]);
    expect(geo.lookup(CHANGING).city).toBe('San Diego');

    // A good file afterwards is picked up as usual.
    replaceAtomically(path, '', fixture('GeoLite2-City-Test.mmdb'));
    await lookUpUntil(geo, (g) => g.city === undefined);
    expect(reloads).toEqual([path]);
  });

  it('does not watch the file unless asked', async () => {
    const path = join(dir, 'city.mmdb');
    copyFileSync(fixture('GeoLite2-City-Test.mmdb'), path);
    geo = await openGeo({ cityDb: path });
    replaceAtomically(path, '', fixture('GeoIP2-City-Test.mmdb'));
    await sleep(600);
    expect(geo.lookup(CHANGING)).toEqual({ network: 'public' });
  });
});
