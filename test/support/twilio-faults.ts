import http from 'node:http';
import type net from 'node:net';

/** What to answer next: a Twilio-shaped error, or no answer at all (for timeouts). */
export type TwilioFault =
  | { status: number; code?: number; message?: string; headers?: Record<string, string>; rawBody?: string }
  | 'hang';

export interface TwilioFaultRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  form: Record<string, string>;
}

export interface TwilioFaults {
  readonly url: string;
  /** every request received, faulted or not */
  readonly requests: TwilioFaultRequest[];
  /** queue answers for the next requests; with none queued the server accepts the message (201) */
  next(...faults: TwilioFault[]): void;
  close(): Promise<void>;
}

/** A small stand-in for api.twilio.com that answers errors on demand, shaped like Twilio's. */
export async function startTwilioFaults(): Promise<TwilioFaults> {
  const requests: TwilioFaultRequest[] = [];
  const queue: TwilioFault[] = [];
  const sockets = new Set<net.Socket>();
  let seq = 0;

  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      form: Object.fromEntries(new URLSearchParams(body)),
    });
    const fault = queue.shift();
    if (fault === 'hang') return;
    if (fault?.rawBody !== undefined) {
      // e.g. an edge proxy's HTML error page, which carries no Twilio code
      res.writeHead(fault.status, { 'content-type': 'text/html', ...fault.headers });
      res.end(fault.rawBody);
      return;
    }
    if (fault) {
      const code = fault.code ?? fault.status;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(
        JSON.stringify({
          code,
          message: fault.message ?? `fault ${code}`,
          more_info: `https://www.twilio.com/docs/errors/${code}`,
          status: fault.status,
        }),
      );
      return;
    }
    seq += 1;
    const sid = `SM${seq.toString(16).padStart(32, '0')}`;
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sid, status: 'queued', to: new URLSearchParams(body).get('To') }));
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
    next: (...f) => queue.push(...f),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
