// `npm run build`: compiles src/ and consumers/ with tsc into dist/ and copies the files the code
// reads beside itself (src/**/*.html). With --if-stale it does nothing when dist/ is newer than every
// source and build setting, so `prestart`, `pretest` and `prepack` can call it on every run.
// Runs on any Node ≥ 18: it is started before the project's own runtime is known to be there.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const stamp = join(out, '.build-complete');
const inputs = ['src', 'consumers', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function* files(path) {
  const st = statSync(path);
  if (!st.isDirectory()) {
    yield { path, mtimeMs: st.mtimeMs };
    return;
  }
  for (const name of readdirSync(path)) yield* files(join(path, name));
}

function newestInput() {
  let newest = 0;
  for (const input of inputs) for (const f of files(join(root, input))) newest = Math.max(newest, f.mtimeMs);
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput()) {
  process.exit(0);
}
console.error('[login-alerts] building dist/ (tsc -p tsconfig.build.json)…');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});
for (const f of files(join(root, 'src'))) {
  if (!f.path.endsWith('.html')) continue;
  const to = join(out, relative(root, f.path));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(f.path, to);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
