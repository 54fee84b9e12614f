import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort, startChildServer } from './child-server.js';

export interface TwilioMock {
  /** the base URL replacing https://api.twilio.com */
  readonly url: string;
  readonly startupMs: number;
  output(): string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** Twilio's published OpenAPI description of API v2010 (MIT, LICENSE beside it). */
export const TWILIO_SPEC = fileURLToPath(
  new URL('../fixtures/twilio/twilio_api_v2010.json', import.meta.url),
);

/**
 * Stoplight Prism mocking Twilio's own OpenAPI file. Prism validates each request against the
 * spec (path patterns such as ^AC[0-9a-f]{32}$, required form fields, Basic auth) and answers
 * 422/401 when it does not match, so a 201 here means the request honours Twilio's contract.
 */
export async function startTwilioMock(): Promise<TwilioMock> {
  const port = await freePort();
  const server = await startChildServer({
    name: 'prism',
    script: require.resolve('@stoplight/prism-cli/dist/index.js'),
    // --errors: a response that breaks the spec fails loudly instead of passing silently.
    args: ['mock', '--errors', '-p', String(port), '-h', '127.0.0.1', TWILIO_SPEC],
    url: `http://127.0.0.1:${port}/`,
    timeoutMs: 60_000,
  });
  return {
    url: server.url.replace(/\/$/, ''),
    startupMs: server.startupMs,
    output: server.output,
    stop: server.stop,
  };
}
