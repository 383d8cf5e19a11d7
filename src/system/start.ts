import { readFile, rm } from 'node:fs/promises';

import { SERVER_NAMES, type ServerName } from '../config/schema.js';
import { createMetrics } from '../metrics/registry.js';
import { createMetricsServer } from '../metrics/server.js';
import { writeFileAtomic } from '../shared/files.js';
import type { Logger } from '../shared/log.js';
import { endpointsOf, type Endpoints } from './endpoints.js';
import { netListener, trackSockets, type Listener } from './listener.js';
import { loadKeyMaterial, type Runtime } from './runtime.js';
import { listenersOf } from './servers.js';
import { tasksOf } from './tasks.js';

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

  const tasks = names.flatMap((name) => tasksOf(name, runtime, metrics));
  const started: Listener[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.reverse().map((listener) => listener.stop(SHUTDOWN_GRACE_MS)));
    await Promise.all(tasks.map((task) => task.stop()));
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

  for (const task of tasks) task.start();
  const endpoints = endpointsOf(runtime.config, bound, runtime.paths.caCertificate);
  // Only a whole system knows every address; a single `serve` process leaves the file alone.
  if (names.length !== SERVER_NAMES.length) {
    runtime.logger.info({ servers: names }, 'every door listens');
    return { endpoints, stop };
  }
  return publishEndpoints(runtime, { endpoints, stop });
}

/** Writes endpoints.json for a whole system, and takes it away again when the system stops. */
async function publishEndpoints(runtime: Runtime, system: RunningSystem): Promise<RunningSystem> {
  const file = runtime.paths.endpointsFile;
  const written = `${JSON.stringify(system.endpoints, null, 2)}\n`;
  await writeFileAtomic(file, written, 0o644);
  runtime.logger.info({ servers: SERVER_NAMES, endpoints: file }, 'every door listens');
  return {
    endpoints: system.endpoints,
    stop: async () => {
      // First, so that no script reads ports that are about to close.
      await removeIfUnchanged(file, written, runtime.logger);
      await system.stop();
    },
  };
}

/**
 * Removes a file only while it still holds what this process wrote: another `tmsp up` on the
 * same data directory may have replaced it with its own, live addresses.
 */
async function removeIfUnchanged(file: string, written: string, logger: Logger): Promise<void> {
  try {
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current === written) await rm(file, { force: true });
  } catch (error) {
    // A stale file misleads scripts, but must not keep the servers from stopping.
    logger.warn({ err: error, file }, 'endpoints file could not be removed');
  }
}
