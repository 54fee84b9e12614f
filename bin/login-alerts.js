#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the TypeScript sources directly through tsx (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// Let output flush, then leave even if a client library keeps a socket open.
setTimeout(() => process.exit(), 500).unref();
