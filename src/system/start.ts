import { SERVER_NAMES, type ServerName } from '../config/schema.js';
import { createMetrics } from '../metrics/registry.js';
import { createMetricsServer } from '../metrics/server.js';
import { writeFileAtomic } from '../shared/files.js';
import { endpointsOf, type Endpoints } from './endpoints.js';
import { netListener, trackSockets, type Listener } from './listener.js';
import { loadKeyMaterial, type Runtime } from './runtime.js';
import { listenersOf } from './servers.js';

export interface RunningSystem {
  endpoints: Endpoints;
  /** Stops accepting, lets what is in flight finish (with a grace period), closes the database. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 3_000;

/**
 * Starts the named servers (all five for `tmsp up`) and the metrics listener. Either every door
 * listens, or whatever had started is stopped again and the first failure is thrown.
 */
export async function startSystem(
  runtime: Runtime,
  names: readonly ServerName[],
): Promise<RunningSystem> {
  const keys = await loadKeyMaterial(runtime);
  const metrics = createMetrics();
  const bound = new Map<string, number>();
  const { metrics: metricsConfig } = runtime.config.servers;
  const metricsServer = createMetricsServer(metrics);
  const listeners: Listener[] = [
    ...names.flatMap((name) => listenersOf(name, runtime, keys, metrics, bound)),
    netListener(
      metricsServer,
      'servers.metrics.port',
      metricsConfig.host,
      metricsConfig.port,
      trackSockets(metricsServer),
    ),
  ];

  const started: Listener[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.reverse().map((listener) => listener.stop(SHUTDOWN_GRACE_MS)));
    await runtime.store.close();
  };

  try {
    for (const listener of listeners) {
      bound.set(listener.key, await listener.start());
      started.push(listener);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const endpoints = endpointsOf(runtime.config, bound, runtime.paths.caCertificate);
  // Only a whole system knows every address; a single `serve` process leaves the file alone.
  if (names.length === SERVER_NAMES.length) {
    await writeFileAtomic(
      runtime.paths.endpointsFile,
      `${JSON.stringify(endpoints, null, 2)}\n`,
      0o644,
    );
  }
  runtime.logger.info(
    { servers: names, endpoints: runtime.paths.endpointsFile },
    'every door listens',
  );
  return { endpoints, stop };
}
