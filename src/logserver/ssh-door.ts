import { randomUUID } from 'node:crypto';

import ssh2 from 'ssh2';

import type { Metrics } from '../metrics/registry.js';
import type { Logger } from '../shared/log.js';
import { netListener, type Listener } from '../system/listener.js';

export interface SshDoorOptions {
  /** 'log' or 'status': whose door this is, for logs and metrics. */
  door: string;
  key: string;
  host: string;
  port: number;
  hostKey: string;
  logger: Logger;
  metrics: Metrics;
  /** A peer that has not authenticated by then is disconnected. */
  authenticationTimeoutMs: number;
}

/**
 * The SSH door appliances push through. Password authentication is checked by CAS, which is not
 * wired in yet: until it is, every attempt is refused, so no appliance can write anything.
 */
export function createSshDoor(options: SshDoorOptions): Listener {
  const clients = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'TMSP' }, (client, info) => {
    const connection = randomUUID();
    const log = options.logger.child({ door: `${options.door}-ssh`, connection, peer: info.ip });
    clients.add(client);
    const deadline = setTimeout(() => client.end(), options.authenticationTimeoutMs);

    client.on('authentication', (context) => {
      log.info({ user: context.username, method: context.method }, 'authentication refused');
      context.reject(['password']);
    });
    client.on('error', (error) => log.debug({ err: error }, 'connection error'));
    client.on('close', () => {
      clearTimeout(deadline);
      clients.delete(client);
      options.metrics.doorConnections.inc({ door: `${options.door}-ssh`, outcome: 'closed' });
    });
  });

  return netListener(server, options.key, options.host, options.port, () => {
    for (const client of clients) client.end();
  });
}
