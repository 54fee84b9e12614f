import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchemas } from '../contracts/json-schemas.js';
import { AppError } from '../errors.js';
import { packagePath } from '../package-files.js';

const SCHEMA_DIR = packagePath('schemas');

/** `login-alerts schemas --write|--check`: regenerate schemas/ from the zod contracts, or verify it. */
export async function runSchemasCommand(args: string[]): Promise<number> {
  const mode = args[0] ?? '--check';
  if (mode !== '--write' && mode !== '--check')
    throw new AppError('BAD_USAGE', 'usage: login-alerts schemas [--write|--check]');
  const stale: string[] = [];
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(renderJsonSchemas())) {
    const path = join(SCHEMA_DIR, file);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current === text) continue;
    if (mode === '--write') writeFileSync(path, text);
    stale.push(file);
  }
  if (mode === '--check' && stale.length > 0) {
    console.error(`stale schemas (run npm run schemas): ${stale.join(', ')}`);
    return 1;
  }
  console.log(mode === '--write' ? `wrote ${stale.length} schema(s)` : 'schemas are up to date');
  return 0;
}
