import { randomUUID } from 'node:crypto';
import tls from 'node:tls';

import type { KeyMaterial } from '../keys/material.js';
import type { Metrics } from '../metrics/registry.js';
import type { Logger } from '../shared/log.js';
import { netListener, trackSockets, type Listener } from '../system/listener.js';

export interface TlsDoorOptions {
  key: string;
  host: string;
  port: number;
  tls: KeyMaterial['tls'];
  logger: Logger;
  metrics: Metrics;
  authenticationTimeoutMs: number;
}

// The daemon greeting of rsync 3.4 (protocol 32) and the digests it offers (PROTOCOLS.md §2.2).
const GREETING = '@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n';

/**
 * The rsync-over-TLS door (`rsync-ssl`). It greets like an rsync daemon; until the receiver is
 * wired in, it answers every module request with an @ERROR line that the client prints.
 */
export function createTlsDoor(options: TlsDoorOptions): Listener {
  const server = tls.createServer({
    key: options.tls.privateKey,
    cert: options.tls.certificate,
    minVersion: 'TLSv1.2',
    handshakeTimeout: options.authenticationTimeoutMs,
  });
  const dropConnections = trackSockets(server);

  server.on('secureConnection', (socket) => {
    const log = options.logger.child({
      door: 'log-tls',
      connection: randomUUID(),
      peer: socket.remoteAddress,
    });
    socket.setTimeout(options.authenticationTimeoutMs, () => socket.destroy());
    socket.on('error', (error) => log.debug({ err: error }, 'connection error'));
    socket.write(GREETING);
    socket.end('@ERROR: this log server does not accept pushes yet\n');
    options.metrics.doorConnections.inc({ door: 'log-tls', outcome: 'refused' });
  });
  server.on('tlsClientError', (error) =>
    options.logger.debug({ err: error, door: 'log-tls' }, 'TLS handshake failed'),
  );

  return netListener(server, options.key, options.host, options.port, dropConnections);
}
