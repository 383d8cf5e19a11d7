import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's metrics. They name customers, so they are served on loopback by default. */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'server' | 'route' | 'status'>;
  doorConnections: Counter<'door' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tmsp_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'tmsp_http_requests_total',
      help: 'HTTP requests answered, by server, route and status code',
      labelNames: ['server', 'route', 'status'],
      registers: [registry],
    }),
    doorConnections: new Counter({
      name: 'tmsp_door_connections_total',
      help: 'Connections to the SSH and TLS doors, by door and outcome',
      labelNames: ['door', 'outcome'],
      registers: [registry],
    }),
  };
}
