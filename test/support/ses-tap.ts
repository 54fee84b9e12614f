import http from 'node:http';
import type net from 'node:net';

/** One request as it crossed the wire: the AWS Query form fields SES received. */
export interface TappedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
}

/** What the tap answers instead of forwarding: an SES-shaped error, or no answer at all. */
export type SesFault =
  | { status: number; code: string; message?: string; type?: 'Sender' | 'Receiver' }
  | 'hang';

export interface SesTap {
  readonly url: string;
  readonly requests: TappedRequest[];
  /** answer the next request(s) with these faults instead of forwarding */
  fail(...faults: SesFault[]): void;
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A recording proxy in front of the SES emulator. aws-ses-v2-local's store keeps neither the
 * message tags nor the configuration set, so this is where they are checked: on the wire.
 * It can also answer like SES does when it refuses (AWS Query XML errors) or hangs.
 */
export async function startSesTap(target: string): Promise<SesTap> {
  const requests: TappedRequest[] = [];
  const faults: SesFault[] = [];
  const sockets = new Set<net.Socket>();

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({
      path: req.url ?? '/',
      headers: req.headers,
      form: Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
    });
    const fault = faults.shift();
    if (fault === 'hang') return; // keep the socket open, never answer
    if (fault) {
      res.writeHead(fault.status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'tap-1' });
      res.end(
        `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${fault.type ?? (fault.status >= 500 ? 'Receiver' : 'Sender')}</Type>` +
          `<Code>${fault.code}</Code><Message>${xml(fault.message ?? fault.code)}</Message></Error><RequestId>tap-1</RequestId></ErrorResponse>`,
      );
      return;
    }
    const headers = { ...req.headers };
    for (const h of ['host', 'connection', 'content-length', 'transfer-encoding', 'expect'])
      delete headers[h];
    const upstream = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers: headers as Record<string, string>,
      body,
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/xml' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (...f) => faults.push(...f),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
