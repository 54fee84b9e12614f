#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the compiled JavaScript in dist/ (`npm run build`). On an older Node it hands over to the
// project's pinned runtime (scripts/runtime.mjs) in a child process with the same flags.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { isSupported, supportedNode } from '../scripts/runtime.mjs';

const MAIN = new URL('../dist/src/cli/main.js', import.meta.url);

if (isSupported()) {
  if (!existsSync(MAIN)) {
    console.error('login-alerts: dist/ is missing: run `npm run build` in the checkout');
    process.exit(1);
  }
  const { main } = await import(MAIN.href);
  process.exitCode = await main(process.argv.slice(2));
  // Let output flush, then leave even if a client library keeps a socket open.
  setTimeout(() => process.exit(), 500).unref();
} else {
  let node;
  try {
    node = supportedNode();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  // A young generation of 32 MB: the pipeline makes many short-lived objects per event.
  const flags = process.execArgv.length > 0 ? process.execArgv : ['--max-semi-space-size=32'];
  const child = spawn(node, [...flags, ...process.argv.slice(1)], { stdio: 'inherit' });
  // Ctrl-C reaches the whole process group, the child included; TERM and HUP sent to us are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
}
