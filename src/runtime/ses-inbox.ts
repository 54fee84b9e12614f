import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../errors.js';

type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

/**
 * aws-ses-v2-local, loaded only when `start` needs a local inbox: it is a development dependency,
 * absent from a production install (`npm ci --omit=dev`), where `run` never asks for it.
 */
async function loadSesLocal(): Promise<StartServer> {
  let mod: { default: StartServer | { default: StartServer } };
  try {
    mod = (await import('aws-ses-v2-local')) as unknown as typeof mod;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new AppError(
      'BAD_CONFIG',
      'SES_ENDPOINT: not set, and the local email inbox (aws-ses-v2-local, a development dependency) ' +
        'is not installed: run `npm ci` without --omit=dev, or set SES_REGION/SES_ENDPOINT and SES_FROM',
      { cause: err },
    );
  }
  // A CommonJS module with `exports.default`: reach the function whichever way the loader wraps it.
  return typeof mod.default === 'function' ? mod.default : mod.default.default;
}

/** aws-ses-v2-local in this process: the local email inbox `start` points SES at. */
export async function startSesInbox(
  port: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sesLocal = await loadSesLocal();
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
