import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';

import type { KeyMaterial } from '../keys/material.js';
import type { Metrics } from '../metrics/registry.js';
import {
  MAX_LINE,
  SERVER_GREETING,
  negotiatedDigest,
  newChallenge,
  parseChallengeResponse,
  parseGreeting,
} from '../rsync/daemon-greeting.js';
import { LineReader } from '../rsync/line-reader.js';
import type { Logger } from '../shared/log.js';
import { netListener, trackSockets, type Listener } from '../system/listener.js';
import type { ApplianceChecks } from './appliance-checks.js';
import type { PushDeps } from './pushes.js';
import { SourceLimits } from './source-limits.js';
import { receiveOverDaemon } from './tls-push.js';

export interface TlsDoorOptions {
  key: string;
  host: string;
  port: number;
  tls: KeyMaterial['tls'];
  logger: Logger;
  metrics: Metrics;
  checks: ApplianceChecks;
  authenticationTimeoutMs: number;
  /** Connections one address may hold open at once. */
  connectionsPerSource: number;
  pushes: PushDeps;
}

/** A push that sends nothing for this long is cut off; the appliance keeps what it had. */
const IDLE_TIMEOUT_MS = 10 * 60_000;

/** The one module appliances push into: `rsync-ssl … rsync://host/logs/<GUID>/`. */
export const LOG_MODULE = 'logs';

/**
 * The rsync-over-TLS door (the appliance's "SSL" choice, client `rsync-ssl`): TLS with the
 * server certificate, then the rsync daemon's text exchange, with the challenge response
 * checked by CAS so that this server never holds a secret.
 */
export function createTlsDoor(options: TlsDoorOptions): Listener {
  const server = tls.createServer({
    key: options.tls.privateKey,
    cert: options.tls.certificate,
    minVersion: 'TLSv1.2',
    handshakeTimeout: options.authenticationTimeoutMs,
  });
  const dropConnections = trackSockets(server);
  const sources = new SourceLimits(options.connectionsPerSource);
  // Counted before the TLS handshake, which is the expensive part to let anyone start.
  server.on('connection', (socket: net.Socket) => {
    const source = socket.remoteAddress ?? '';
    if (!sources.admit(source)) {
      options.logger.warn({ door: 'log-tls', peer: source }, 'too many connections; refused');
      options.metrics.doorConnections.inc({ door: 'log-tls', outcome: 'refused' });
      socket.destroy();
      return;
    }
    socket.once('close', () => sources.release(source));
  });

  server.on('secureConnection', (socket) => {
    const log = options.logger.child({
      door: 'log-tls',
      connection: randomUUID(),
      peer: socket.remoteAddress,
    });
    socket.setTimeout(options.authenticationTimeoutMs, () => socket.destroy());
    socket.on('error', (error) => log.debug({ err: error }, 'connection error'));
    daemonSession(socket, options, log).then(
      (outcome) => options.metrics.doorConnections.inc({ door: 'log-tls', outcome }),
      (error: unknown) => {
        log.error({ err: error }, 'daemon session failed');
        refuse(socket, 'the log server had an internal error; try again later');
      },
    );
  });
  server.on('tlsClientError', (error) =>
    options.logger.debug({ err: error, door: 'log-tls' }, 'TLS handshake failed'),
  );

  return netListener(server, options.key, options.host, options.port, dropConnections);
}

async function daemonSession(
  socket: tls.TLSSocket,
  options: TlsDoorOptions,
  log: Logger,
): Promise<string> {
  socket.write(SERVER_GREETING);
  const lines = new LineReader(socket, MAX_LINE);
  const greeting = parseGreeting((await lines.next()) ?? '');
  if (greeting === null) return refuse(socket, 'protocol startup error');

  const module = (await lines.next()) ?? '';
  // An empty module line (or the older `#list`) asks for the list of modules.
  if (module === '' || module === '#list') {
    socket.end(`${LOG_MODULE}\tappliance log files\n@RSYNCD: EXIT\n`);
    return 'listed';
  }
  if (module !== LOG_MODULE)
    return refuse(socket, `Unknown module '${module.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)}'`);
  const digest = negotiatedDigest(greeting);
  if (digest === null) return refuse(socket, 'this server needs rsync protocol 30 or newer');

  const challenge = newChallenge();
  socket.write(`@RSYNCD: AUTHREQD ${challenge}\n`);
  const answer = parseChallengeResponse((await lines.next()) ?? '');
  const account =
    answer === null
      ? null
      : await options.checks.checkChallenge(
          { ...answer, challenge, digest },
          socket.remoteAddress ?? '',
        );
  if (answer === null || account === null) {
    log.info({ user: answer?.userName }, 'authentication refused');
    return refuse(socket, `auth failed on module ${LOG_MODULE}`);
  }

  socket.setTimeout(IDLE_TIMEOUT_MS);
  socket.write('@RSYNCD: OK\n');
  return receiveOverDaemon(options.pushes, {
    socket,
    lines,
    clientProtocol: greeting.protocol,
    account,
    userName: answer.userName,
    module: LOG_MODULE,
    log: log.child({ customer: account.customer }),
  });
}

/** Ends the exchange with an @ERROR line, which the rsync client prints to its user. */
function refuse(socket: tls.TLSSocket, message: string): string {
  socket.end(`@ERROR: ${message}\n`);
  return 'refused';
}
