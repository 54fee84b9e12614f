/**
 * A TCP gate in front of one address, for making a service unreachable to one client and reachable again
 * without touching the service. Closed, it accepts and at once resets every connection (the client sees
 * ECONNRESET, as from a host that is gone) and resets the ones it forwards; open, it forwards bytes both ways.
 * It keeps its port while closed, so the client's configured address stays the same across the outage.
 *
 * A Kafka client only bootstraps through the gate: the broker's metadata then names the broker's own
 * address. The gate therefore makes Kafka unreachable to a client that has not connected yet.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpGate {
  /** host:port to give the client. */
  address: string;
  port: number;
  isOpen(): boolean;
  open(): void;
  /** Resets every forwarded connection and refuses new ones. */
  close(): void;
  stop(): Promise<void>;
}

/** Starts a gate on a free 127.0.0.1 port, forwarding to `target` (host:port) once opened; closed at first. */
export async function startTcpGate(target: string, opts: { open?: boolean } = {}): Promise<TcpGate> {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const targetPort = Number(target.slice(colon + 1));
  let open = opts.open ?? false;
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host, port: targetPort });
    live.add(client);
    live.add(upstream);
    const end = () => {
      live.delete(client);
      live.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
  return {
    address: `127.0.0.1:${port}`,
    port,
    isOpen: () => open,
    open() {
      open = true;
    },
    close() {
      open = false;
      for (const socket of live) socket.resetAndDestroy();
      live.clear();
    },
    stop() {
      open = false;
      for (const socket of live) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
