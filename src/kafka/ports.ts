/** Ports on 127.0.0.1 for the local broker and cluster: a requested one checked, or a free one found. */
import { createServer } from 'node:net';
import { AppError } from '../errors.js';

/** True when nothing listens on `port` of 127.0.0.1 at this moment. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel reported free; another process may still take it before it is bound again. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `requested` when it is a port number (it must be free), otherwise `preferred` when given and free,
 * otherwise any free port (`requested` 0).
 */
export async function choosePort(requested: number | undefined, preferred?: number): Promise<number> {
  if (requested !== undefined && requested !== 0) {
    if (!(await portIsFree(requested))) {
      throw new AppError('BROKER_START_FAILED', `port ${requested} on 127.0.0.1 is already in use`);
    }
    return requested;
  }
  if (requested === undefined && preferred !== undefined && (await portIsFree(preferred))) return preferred;
  return freePort();
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
