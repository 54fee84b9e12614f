/** HTTP at the byte level, for requests no well-behaved client (fetch, undici) would send. */
import { connect } from 'node:net';

export interface RawResult {
  /** Status codes of every response read, in order (pipelined requests give several). */
  statuses: number[];
  /** Everything the server wrote, as latin1. */
  text: string;
  /** The server closed the connection (rather than us, at `waitMs`). */
  closedByServer: boolean;
  ms: number;
}

/**
 * Writes `data` (in `chunks` pieces when given) to host:port and collects what comes back until the
 * server closes or `waitMs` passes. Never rejects: a reset is a result too.
 */
export function rawRequest(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  opts: { host?: string; waitMs?: number; until?: (text: string) => boolean } = {},
): Promise<RawResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, opts.host ?? '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: statusesOf(text), text, closedByServer, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 2_000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (opts.until?.(text)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    for (const piece of Array.isArray(data) ? data : [data]) socket.write(piece);
  });
}

/** A complete response arrived (status line, headers and a Content-Length body). */
export function responseComplete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
  return length !== undefined && text.length >= end + 4 + Number(length);
}

function statusesOf(text: string): number[] {
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}
