import { createRequire } from 'node:module';
import { freePort, startChildServer } from './child-server.js';

/** One email as aws-ses-v2-local's `GET /store` reports it. */
export interface StoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export interface SesEmulator {
  /** the SES endpoint to give the SDK */
  readonly url: string;
  readonly startupMs: number;
  readStore(): Promise<{ emails: StoredEmail[] }>;
  clearStore(): Promise<void>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Starts aws-ses-v2-local (SES v1 + v2 API, `GET /store`) as a child process on a free port. */
export async function startSesEmulator(): Promise<SesEmulator> {
  const port = await freePort();
  const server = await startChildServer({
    name: 'aws-ses-v2-local',
    script: require.resolve('aws-ses-v2-local/dist/cli.js'),
    args: ['--host', '127.0.0.1', '--port', String(port)],
    url: `http://127.0.0.1:${port}/health-check`,
    timeoutMs: 20_000,
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    startupMs: server.startupMs,
    async readStore() {
      const res = await fetch(`${base}/store`);
      if (!res.ok) throw new Error(`GET /store answered ${res.status}`);
      return (await res.json()) as { emails: StoredEmail[] };
    },
    async clearStore() {
      await fetch(`${base}/clear-store`, { method: 'POST' });
    },
    stop: server.stop,
  };
}
