import { promises as dns } from 'node:dns';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type webpush from 'web-push';
import { checkEndpoint, type PushAllowList, vetAddresses } from './push-hosts.js';

/** Resolves a host name to its addresses; a sender connects only to an address it vetted. */
export interface HostResolver {
  lookup(host: string): Promise<{ address: string; family: number }[]>;
}

/** The system resolver (getaddrinfo, as every other outbound connection uses). */
export const systemResolver: HostResolver = {
  lookup: (host) => dns.lookup(host, { all: true, verbatim: true }),
};

/** A push service's answer is a status and a short reason: more than this is not read. */
export const MAX_PUSH_RESPONSE_BYTES = 64 * 1024;

/** Where one push goes: the endpoint, and the vetted address its socket must connect to. */
export interface PushTarget {
  url: URL;
  /** the host name (or address literal) for TLS: SNI and the certificate check */
  host: string;
  /** the vetted address the socket connects to */
  address: string;
  family: 4 | 6;
}

/**
 * Where an endpoint may be reached, checked at every send after DNS: the allow-list's rules on the
 * URL, then every resolved address (see push-hosts.ts). `open`: any host is allowed by name (its
 * addresses must still be public unless listed exactly).
 */
export async function resolveTarget(
  endpoint: string,
  allowList: PushAllowList,
  resolver: HostResolver,
  opts: { open?: boolean } = {},
): Promise<{ ok: true; target: PushTarget } | { ok: false; reason: string }> {
  const checked = checkEndpoint(endpoint, allowList, opts);
  if (!checked.ok) return checked;
  const e = checked.endpoint;
  const addresses = e.literal
    ? [{ address: e.connectHost, family: e.connectHost.includes(':') ? 6 : 4 }]
    : await resolver.lookup(e.connectHost);
  const vetted = vetAddresses(e, addresses);
  if (!vetted.ok) return vetted;
  return {
    ok: true,
    target: { url: e.url, host: e.connectHost, address: vetted.address, family: vetted.family },
  };
}

interface PushResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One POST to the vetted address. The socket's lookup answers with that address only, so a name
 * that resolves elsewhere a moment later (DNS rebinding) is never connected to. At most
 * MAX_PUSH_RESPONSE_BYTES of the answer are read; the status and headers decide the outcome.
 */
export function post(
  to: PushTarget,
  details: webpush.RequestDetails,
  opts: { agent: https.Agent | undefined; timeoutMs: number },
): Promise<PushResponse> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: to.address, family: to.family }]);
    else callback(null, to.address, to.family);
  };
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        hostname: to.host,
        port: to.url.port === '' ? 443 : Number(to.url.port),
        path: `${to.url.pathname}${to.url.search}`,
        method: details.method,
        headers: details.headers,
        lookup: pinned,
        ...(opts.agent === undefined ? {} : { agent: opts.agent }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: flatHeaders(res.headers),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        };
        res.on('data', (chunk: Buffer) => {
          if (size + chunk.length > MAX_PUSH_RESPONSE_BYTES) {
            chunks.push(chunk.subarray(0, MAX_PUSH_RESPONSE_BYTES - size));
            res.destroy();
            return done();
          }
          size += chunk.length;
          chunks.push(chunk);
        });
        res.on('end', done);
        res.on('error', (err) => {
          clearTimeout(deadline);
          reject(err);
        });
      },
    );
    // web-push's own wording for a timeout, which classifyWebPushError recognises.
    const deadline = setTimeout(() => req.destroy(new Error('Socket timeout')), opts.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(details.body ?? undefined);
  });
}

function flatHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
