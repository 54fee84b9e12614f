// Runs `npm ci` when node_modules is missing or older than package-lock.json, so the README's
// two commands (`npm start`, `npm test`) work on a fresh clone without a separate install step.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { isSupported, REQUIRED_MAJOR } from './runtime.mjs';

const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // The dependencies bring the Node line package.json's engines names (scripts/runtime.mjs).
  console.error(
    `[login-alerts] installing dependencies (npm ci), Node ${REQUIRED_MAJOR} among them${
      isSupported()
        ? ''
        : `: npm's EBADENGINE warnings about Node ${process.version} are expected, the npm scripts then run on Node ${REQUIRED_MAJOR}`
    }…`,
  );
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
