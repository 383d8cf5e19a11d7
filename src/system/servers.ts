import { createAdminRedirect, createAdminServer } from '../admin/server.js';
import { createCasServer, type CasServerDeps } from '../cas/server.js';
import type { CasClientDeps } from '../cas-client/sign-on.js';
import type { ServerName } from '../config/schema.js';
import type { WebServerDeps } from '../http/web-server.js';
import type { KeyMaterial } from '../keys/material.js';
import { casApplianceChecks, type ApplianceChecks } from '../logserver/appliance-checks.js';
import type { PushDeps } from '../logserver/pushes.js';
import { createSshDoor } from '../logserver/ssh-door.js';
import { sshPushHandler } from '../logserver/ssh-push.js';
import { createTlsDoor } from '../logserver/tls-door.js';
import type { Metrics } from '../metrics/registry.js';
import { createPortalServer } from '../portal/server.js';
import { createStatusServer } from '../status/server.js';
import { adminHttpsOrigin, endpointsOf, type BoundPorts } from './endpoints.js';
import { httpsAppListener, netListener, type Listener } from './listener.js';
import type { Runtime } from './runtime.js';

/** The listeners of one server, assembled from the modules it uses. */
export function listenersOf(
  name: ServerName,
  runtime: Runtime,
  keys: KeyMaterial,
  metrics: Metrics,
  bound: BoundPorts,
): Listener[] {
  const { servers } = runtime.config;
  const logger = runtime.logger;
  const web: WebServerDeps = { store: runtime.store, tls: keys.tls, metrics, logger };

  switch (name) {
    case 'admin': {
      const redirect = createAdminRedirect(() => adminHttpsOrigin(runtime.config, bound));
      return [
        httpsAppListener(
          createAdminServer(web, casClientOf('admin', runtime, keys, bound)),
          'servers.admin.port',
          servers.admin.host,
          servers.admin.port,
        ),
        netListener(
          redirect,
          'servers.admin.httpPort',
          servers.admin.host,
          servers.admin.httpPort,
          () => redirect.closeAllConnections(),
        ),
      ];
    }
    case 'portal':
      return [
        httpsAppListener(
          createPortalServer(web, casClientOf('portal', runtime, keys, bound)),
          'servers.portal.port',
          servers.portal.host,
          servers.portal.port,
        ),
      ];
    case 'cas':
      return [
        httpsAppListener(
          createCasServer(casDeps(runtime, keys, web, bound)),
          'servers.cas.port',
          servers.cas.host,
          servers.cas.port,
        ),
      ];
    case 'status': {
      const ssh = createSshDoor({
        door: 'status',
        key: 'servers.status.sshPort',
        host: servers.status.host,
        port: servers.status.sshPort,
        hostKey: keys.sshHostKey,
        logger,
        metrics,
        checks: applianceChecksOf(runtime, keys, bound),
        authenticationTimeoutMs: runtime.config.pushes.authenticationSeconds * 1000,
        connectionsPerSource: runtime.config.pushes.connectionsPerSource,
        onExec: sshPushHandler(pushDeps(runtime)),
      });
      return [
        httpsAppListener(
          createStatusServer(web),
          'servers.status.port',
          servers.status.host,
          servers.status.port,
        ),
        ssh,
      ];
    }
    case 'log':
      return [
        createSshDoor({
          door: 'log',
          key: 'servers.log.sshPort',
          host: servers.log.host,
          port: servers.log.sshPort,
          hostKey: keys.sshHostKey,
          logger,
          metrics,
          checks: applianceChecksOf(runtime, keys, bound),
          authenticationTimeoutMs: runtime.config.pushes.authenticationSeconds * 1000,
          connectionsPerSource: runtime.config.pushes.connectionsPerSource,
          onExec: sshPushHandler(pushDeps(runtime)),
        }),
        createTlsDoor({
          key: 'servers.log.tlsPort',
          host: servers.log.host,
          port: servers.log.tlsPort,
          tls: keys.tls,
          logger,
          metrics,
          checks: applianceChecksOf(runtime, keys, bound),
          authenticationTimeoutMs: runtime.config.pushes.authenticationSeconds * 1000,
          connectionsPerSource: runtime.config.pushes.connectionsPerSource,
          pushes: pushDeps(runtime),
        }),
      ];
  }
}

function casDeps(
  runtime: Runtime,
  keys: KeyMaterial,
  web: WebServerDeps,
  bound: BoundPorts,
): CasServerDeps {
  // Ports may be bound only after the servers are built: URLs are computed when asked.
  const endpoints = () => endpointsOf(runtime.config, bound, runtime.paths.caCertificate);
  return {
    ...web,
    keys,
    clock: runtime.clock,
    settings: runtime.config.cas,
    casUrl: () => endpoints().cas.url,
    ownServices: () => {
      const { admin, portal, status } = endpoints();
      return [admin.casService, portal.casService, status.casService];
    },
    ownStartPages: () => {
      const { admin, portal } = endpoints();
      return [admin.url, portal.url];
    },
  };
}

/**
 * Single sign-on for the console or portal. Every URL is read from the configuration and the
 * ports bound (a configured 0 is known only after start), never from a request (C26).
 */
function casClientOf(
  site: 'admin' | 'portal',
  runtime: Runtime,
  keys: KeyMaterial,
  bound: BoundPorts,
): CasClientDeps {
  const endpoints = () => endpointsOf(runtime.config, bound, runtime.paths.caCertificate);
  return {
    casUrl: () => endpoints().cas.url,
    serviceUrl: () => endpoints()[site].casService,
    homeUrl: () => endpoints()[site].url,
    ca: keys.tls.ca,
    serviceKey: keys.serviceKey,
    clock: runtime.clock,
  };
}

function applianceChecksOf(
  runtime: Runtime,
  keys: KeyMaterial,
  bound: BoundPorts,
): ApplianceChecks {
  return casApplianceChecks({
    casUrl: () => endpointsOf(runtime.config, bound, runtime.paths.caCertificate).cas.url,
    ca: keys.tls.ca,
    serviceKey: keys.serviceKey,
  });
}

function pushDeps(runtime: Runtime): PushDeps {
  const { pushes } = runtime.config;
  return {
    store: runtime.store,
    areasDir: runtime.paths.areasDir,
    clock: runtime.clock,
    limits: {
      maxFiles: pushes.maxFiles,
      maxFileBytes: pushes.maxFileBytes,
      maxPushBytes: pushes.maxPushBytes,
    },
  };
}
