import { ADMIN_BASE_PATH } from '../admin/server.js';
import { CAS_BASE_PATH } from '../cas/server.js';
import type { Config } from '../config/schema.js';
import { PORTAL_BASE_PATH } from '../portal/server.js';

/** The shape of `endpoints.json`, which scripts and the simulator rely on: keep it stable. */
export interface Endpoints {
  admin: { url: string; health: string; casService: string };
  portal: { url: string; health: string; casService: string };
  cas: { url: string; health: string };
  log: { ssh: string; tls: string };
  status: { url: string; health: string; ssh: string; casService: string };
  metrics: string;
  caCertificate: string;
}

/** Ports actually bound, by configuration key (a configured 0 means "any free port"). */
export type BoundPorts = ReadonlyMap<string, number>;

export function endpointsOf(config: Config, bound: BoundPorts, caCertificate: string): Endpoints {
  const { admin, portal, cas, log, status, metrics } = config.servers;
  const port = (key: string, configured: number): number => bound.get(key) ?? configured;
  const adminOrigin = origin(
    'https',
    admin.publicHost ?? admin.host,
    port('servers.admin.port', admin.port),
  );
  const portalOrigin = origin(
    'https',
    portal.publicHost ?? portal.host,
    port('servers.portal.port', portal.port),
  );
  const casOrigin = origin('https', cas.publicHost ?? cas.host, port('servers.cas.port', cas.port));
  const statusOrigin = origin(
    'https',
    status.publicHost ?? status.host,
    port('servers.status.port', status.port),
  );
  const logHost = urlHost(log.publicHost ?? log.host);
  const statusHost = urlHost(status.publicHost ?? status.host);

  return {
    admin: {
      url: `${adminOrigin}${ADMIN_BASE_PATH}`,
      health: `${adminOrigin}/healthz`,
      casService: `${adminOrigin}${ADMIN_BASE_PATH}/cas/callback`,
    },
    portal: {
      url: `${portalOrigin}${PORTAL_BASE_PATH}`,
      health: `${portalOrigin}/healthz`,
      casService: `${portalOrigin}${PORTAL_BASE_PATH}/cas/callback`,
    },
    cas: { url: `${casOrigin}${CAS_BASE_PATH}`, health: `${casOrigin}/healthz` },
    log: {
      ssh: `${logHost}:${port('servers.log.sshPort', log.sshPort)}`,
      tls: `${logHost}:${port('servers.log.tlsPort', log.tlsPort)}`,
    },
    status: {
      url: statusOrigin,
      health: `${statusOrigin}/healthz`,
      ssh: `${statusHost}:${port('servers.status.sshPort', status.sshPort)}`,
      casService: `${statusOrigin}/v1/cas`,
    },
    metrics: `${origin('http', metrics.host, port('servers.metrics.port', metrics.port))}/metrics`,
    caCertificate,
  };
}

export function adminHttpsOrigin(config: Config, bound: BoundPorts): string {
  const { admin } = config.servers;
  return origin(
    'https',
    admin.publicHost ?? admin.host,
    bound.get('servers.admin.port') ?? admin.port,
  );
}

function origin(scheme: 'http' | 'https', host: string, port: number): string {
  const standard = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80);
  return `${scheme}://${urlHost(host)}${standard ? '' : `:${port}`}`;
}

/** A bind-everything address is not somewhere to connect to: show loopback instead. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Every name and address the server certificate must carry. */
export function certificateNames(config: Config): string[] {
  const names = new Set(['localhost', '127.0.0.1']);
  for (const server of Object.values(config.servers)) {
    for (const host of [server.host, 'publicHost' in server ? server.publicHost : null]) {
      if (host !== null && host !== '0.0.0.0' && host !== '::') names.add(host);
    }
  }
  for (const name of config.tls.names) names.add(name);
  return [...names];
}
