import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesLocalModule from 'aws-ses-v2-local';

// A CommonJS module with `exports.default`: reach the function whichever way the loader wraps it.
type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;
const mod = sesLocalModule as unknown as { default: StartServer | { default: StartServer } };
const sesLocal: StartServer = typeof mod.default === 'function' ? mod.default : mod.default.default;

/** aws-ses-v2-local in this process: the local email inbox `start` points SES at. */
export async function startSesInbox(
  port: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = await sesLocal({ host: '127.0.0.1', port });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
