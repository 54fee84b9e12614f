// Runs `npm ci` when node_modules is missing or older than package-lock.json, so the README's
// two commands (`npm start`, `npm test`) work on a fresh clone without a separate install step.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // The line package.json's engines names; the dependencies bring it (scripts/runtime.mjs).
  const line = /\d+/.exec(JSON.parse(readFileSync('package.json', 'utf8')).engines.node)[0];
  console.error(
    `[login-alerts] installing dependencies (npm ci), Node ${line} among them${
      Number(process.versions.node.split('.')[0]) < Number(line)
        ? `: npm's EBADENGINE warnings about Node ${process.version} are expected, the npm scripts then run on Node ${line}`
        : ''
    }…`,
  );
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
