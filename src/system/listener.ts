import type { Server, Socket } from 'node:net';

import type { HttpsApp } from '../http/https-app.js';
import { AppError } from '../shared/errors.js';

/** One listening socket of one server, named by the configuration key that sets its port. */
export interface Listener {
  readonly key: string;
  readonly host: string;
  start(): Promise<number>;
  /** Stops accepting and ends what is in flight within the grace period. */
  stop(graceMs: number): Promise<void>;
}

export function httpsAppListener(app: HttpsApp, key: string, host: string, port: number): Listener {
  return {
    key,
    host,
    start: async () => {
      try {
        await app.listen({ host, port });
      } catch (error) {
        throw listenError(error, key, host, port);
      }
      return boundPort(app.server);
    },
    stop: async () => {
      await app.close();
    },
  };
}

/** What netListener needs of a server: node's net, tls and http servers and ssh2's all fit. */
export interface ListeningServer {
  listen(port: number, host: string, callback: () => void): unknown;
  close(callback: () => void): unknown;
  address(): ReturnType<Server['address']>;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A listener over a plain net / tls / http / ssh server. dropConnections ends whatever is
 * still open once the grace period is over.
 */
export function netListener(
  server: ListeningServer,
  key: string,
  host: string,
  port: number,
  dropConnections: () => void,
): Listener {
  return {
    key,
    host,
    start: () =>
      new Promise<number>((resolve, reject) => {
        const onError = (error: Error): void => reject(listenError(error, key, host, port));
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve(boundPort(server));
        });
      }),
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(dropConnections, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Remembers a server's open sockets so that a stop can end them. */
export function trackSockets(server: Server): () => void {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

function boundPort(server: Pick<ListeningServer, 'address'>): number {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new AppError('startup_failed', 'a listener has no port');
  return address.port;
}

function listenError(error: unknown, key: string, host: string, port: number): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port} (${key})`;
  const reason =
    code === 'EADDRINUSE'
      ? 'is already in use'
      : code === 'EACCES'
        ? 'needs privileges this user does not have'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this host'
          : `cannot be listened on: ${(error as Error).message}`;
  return new AppError('startup_failed', `${where} ${reason}`, { cause: error });
}
