import { createAdminRedirect, createAdminServer } from '../admin/server.js';
import { createCasServer, type CasServerDeps } from '../cas/server.js';
import type { CasClientDeps } from '../cas-client/sign-on.js';
import type { ServerName } from '../config/schema.js';
import type { WebServerDeps } from '../http/web-server.js';
import { withForensicPackages } from '../forensics/pushed-packages.js';
import type { KeyMaterial } from '../keys/material.js';
import { casApplianceChecks, type ApplianceChecks } from '../logserver/appliance-checks.js';
import type { PushDeps } from '../logserver/pushes.js';
import { createSshDoor } from '../logserver/ssh-door.js';
import { sshPushHandler } from '../logserver/ssh-push.js';
import { PROBE_INTERVAL_MS, StoreHealth } from '../logserver/store-health.js';
import { createTlsDoor } from '../logserver/tls-door.js';
import type { Metrics } from '../metrics/registry.js';
import { createPortalServer } from '../portal/server.js';
import type { ApplianceApiDeps } from '../status/api-context.js';
import { createApplianceTicketValidator } from '../status/appliance-tickets.js';
import {
  startHeartbeatSweeper,
  sweepTiming,
  type HeartbeatSweeper,
} from '../status/heartbeat-sweeper.js';
import { createStatusServer } from '../status/server.js';
import { adminHttpsOrigin, endpointsOf, type BoundPorts } from './endpoints.js';
import { patternAdminOf, patternApiOf, sweepingPatterns } from './pattern-wiring.js';
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
          createAdminServer(
            web,
            casClientOf('admin', runtime, keys, bound),
            patternAdminOf(runtime),
            { areasDir: runtime.paths.areasDir },
          ),
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
      const health = storeHealthOf(runtime, metrics);
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
        onExec: sshPushHandler(
          withForensicPackages(
            pushDeps(runtime, health),
            logger,
            runtime.config.forensics.maxBytes,
          ),
        ),
      });
      const statusWeb = {
        ...web,
        onStoreFailure: (error: unknown) => health.noteFailure(error, { server: 'status' }),
      };
      const api = httpsAppListener(
        createStatusServer(statusWeb, applianceApiOf(runtime, keys, bound)),
        'servers.status.port',
        servers.status.host,
        servers.status.port,
      );
      return [
        sweepingPatterns(sweepingHeartbeats(api, runtime), runtime),
        stoppingHealth(ssh, health),
      ];
    }
    case 'log': {
      const health = storeHealthOf(runtime, metrics);
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
          onExec: sshPushHandler(pushDeps(runtime, health)),
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
          pushes: pushDeps(runtime, health),
        }),
      ].map((door) => stoppingHealth(door, health));
    }
  }
}

/** One per runtime: the log and status doors of a process share what they know of the store. */
const storeHealths = new WeakMap<Runtime, StoreHealth>();

export function storeHealthOf(runtime: Runtime, metrics: Metrics): StoreHealth {
  const known = storeHealths.get(runtime);
  if (known !== undefined) return known;
  const health = new StoreHealth({
    store: runtime.store,
    areasDir: runtime.paths.areasDir,
    clock: runtime.clock,
    logger: runtime.logger.child({ component: 'store-health' }),
    gauge: metrics.storeWritable,
    probeIntervalMs: PROBE_INTERVAL_MS,
  });
  storeHealths.set(runtime, health);
  return health;
}

/** Stopping a door also ends the store's probing, which must not outlive the database. */
function stoppingHealth(door: Listener, health: StoreHealth): Listener {
  return {
    key: door.key,
    host: door.host,
    start: () => door.start(),
    stop: async (graceMs) => {
      await door.stop(graceMs);
      await health.stop();
    },
  };
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

/** The appliance API checks tickets for its own casService URL, from configuration (C26). */
function applianceApiOf(runtime: Runtime, keys: KeyMaterial, bound: BoundPorts): ApplianceApiDeps {
  const endpoints = () => endpointsOf(runtime.config, bound, runtime.paths.caCertificate);
  return {
    clock: runtime.clock,
    heartbeatTimeoutSeconds: runtime.config.servers.status.heartbeatTimeoutSeconds,
    patterns: patternApiOf(runtime, () => endpoints().status.url),
    signOnThrottle: runtime.config.cas.appliances,
    forensics: { areasDir: runtime.paths.areasDir, maxBytes: runtime.config.forensics.maxBytes },
    validateTicket: createApplianceTicketValidator({
      casUrl: () => endpoints().cas.url,
      serviceUrl: () => endpoints().status.casService,
      ca: keys.tls.ca,
    }),
  };
}

/** The heartbeat sweeper runs while the status server's HTTPS listener does. */
function sweepingHeartbeats(api: Listener, runtime: Runtime): Listener {
  const deps = {
    store: runtime.store,
    clock: runtime.clock,
    logger: runtime.logger.child({ server: 'status', task: 'heartbeat-sweep' }),
    heartbeatTimeoutSeconds: runtime.config.servers.status.heartbeatTimeoutSeconds,
  };
  let sweeper: HeartbeatSweeper | null = null;
  return {
    key: api.key,
    host: api.host,
    start: async () => {
      const port = await api.start();
      sweeper = startHeartbeatSweeper(deps, sweepTiming(deps.heartbeatTimeoutSeconds));
      return port;
    },
    stop: async (graceMs) => {
      await Promise.all([api.stop(graceMs), sweeper?.stop()]);
    },
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

function pushDeps(runtime: Runtime, health: StoreHealth): PushDeps {
  const { pushes } = runtime.config;
  return {
    health,
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
