import { randomUUID } from 'node:crypto';
import net from 'node:net';

import ssh2 from 'ssh2';

import type { Metrics } from '../metrics/registry.js';
import type { Logger } from '../shared/log.js';
import { netListener, type Listener } from '../system/listener.js';
import type { ApplianceAccount, ApplianceChecks } from './appliance-checks.js';
import { SourceLimits } from './source-limits.js';

/** An authenticated appliance asking to run a command (rsync --server …) on this door. */
export interface ExecRequest {
  account: ApplianceAccount;
  userName: string;
  /** The appliance's address, for the audit trail. */
  peer: string;
  command: string;
  channel: ssh2.ServerChannel;
  log: Logger;
}

export interface SshDoorOptions {
  /** 'log' or 'status': whose door this is, for logs and metrics. */
  door: string;
  key: string;
  host: string;
  port: number;
  hostKey: string;
  logger: Logger;
  metrics: Metrics;
  checks: ApplianceChecks;
  /** A peer that has not authenticated by then is disconnected. */
  authenticationTimeoutMs: number;
  /** Connections one address may hold open at once. */
  connectionsPerSource: number;
  onExec: (request: ExecRequest) => void;
}

/**
 * The SSH door appliances push through: password authentication checked by CAS, then one exec
 * request per session. No shell, no pty, no subsystem, no forwarding.
 */
export function createSshDoor(options: SshDoorOptions): Listener {
  const clients = new Set<ssh2.Connection>();
  const door = `${options.door}-ssh`;
  const unauthenticated = new Map<string, NodeJS.Timeout>();
  const server = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'TMSP' }, (client, info) => {
    const log = options.logger.child({ door, connection: randomUUID(), peer: info.ip });
    clients.add(client);
    let signedIn: { account: ApplianceAccount; userName: string } | null = null;

    client.on('authentication', (context) => {
      if (context.method !== 'password') {
        context.reject(['password']);
        return;
      }
      options.checks.checkPassword(context.username, context.password, info.ip).then(
        (account) => {
          if (account === null) {
            log.info({ user: context.username }, 'authentication refused');
            context.reject(['password']);
            return;
          }
          signedIn = { account, userName: context.username };
          context.accept();
        },
        (error: unknown) => {
          log.error({ err: error }, 'credential check failed');
          context.reject(['password']);
        },
      );
    });
    client.on('ready', () => {
      clearTimeout(unauthenticated.get(`${info.ip}:${info.port}`));
      const who = signedIn;
      if (who === null) return;
      const appliance = log.child({ customer: who.account.customer });
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.once('exec', (acceptExec, _reject, request) => {
          options.onExec({
            ...who,
            peer: info.ip,
            command: request.command,
            channel: acceptExec(),
            log: appliance,
          });
        });
        for (const refused of ['pty', 'shell', 'subsystem', 'sftp', 'env', 'x11'] as const) {
          session.on(refused, (_accept: unknown, reject?: () => void) => reject?.());
        }
      });
      client.on('tcpip', (_accept, reject) => reject());
    });
    client.on('error', (error) => log.debug({ err: error }, 'connection error'));
    client.on('close', () => {
      clients.delete(client);
      options.metrics.doorConnections.inc({
        door,
        outcome: signedIn === null ? 'refused' : 'closed',
      });
    });
  });

  const sources = new SourceLimits(options.connectionsPerSource);
  const sockets = new Set<net.Socket>();
  // Admission and the authentication deadline work on the TCP connection: ssh2 reports a
  // client only once it sent its version line, which a stalled peer never does.
  const tcp = net.createServer((socket) => {
    const source = socket.remoteAddress ?? '';
    if (!sources.admit(source)) {
      options.logger.warn({ door, peer: source }, 'too many connections from this address');
      options.metrics.doorConnections.inc({ door, outcome: 'refused' });
      socket.destroy();
      return;
    }
    const key = `${source}:${socket.remotePort ?? 0}`;
    unauthenticated.set(
      key,
      setTimeout(() => socket.destroy(), options.authenticationTimeoutMs),
    );
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      clearTimeout(unauthenticated.get(key));
      unauthenticated.delete(key);
      sources.release(source);
    });
    server.injectSocket(socket);
  });

  return netListener(tcp, options.key, options.host, options.port, () => {
    for (const client of clients) client.end();
    for (const socket of sockets) socket.destroy();
  });
}
