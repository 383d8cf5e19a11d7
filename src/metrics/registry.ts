import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's metrics. They name customers, so they are served on loopback by default. */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'server' | 'route' | 'status'>;
  doorConnections: Counter<'door' | 'outcome'>;
  storeWritable: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tmsp_' });
  const storeWritable = new Gauge({
    name: 'tmsp_store_writable',
    help: 'Whether the store takes writes (1) or refuses them until a probe write succeeds (0)',
    registers: [registry],
  });
  // A gauge starts at 0: a process that never saw a write fail must not look like an outage.
  storeWritable.set(1);
  return {
    registry,
    storeWritable,
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
