import {
  deploymentSweepMs,
  startDeploymentSweeper,
  type DeploymentSweeper,
} from '../patterns/deployment-sweeper.js';
import { PatternBus } from '../patterns/pattern-bus.js';
import { patternsDir } from '../patterns/pattern-files.js';
import { KEEP_ALIVE_MS, PATTERN_POLL_MS, type PatternApiDeps } from '../status/pattern-context.js';
import type { Listener } from './listener.js';
import type { Runtime } from './runtime.js';

/** One per runtime: a console and a status server in one process share it. */
const buses = new WeakMap<Runtime, PatternBus>();

export function patternBusOf(runtime: Runtime): PatternBus {
  const known = buses.get(runtime);
  if (known !== undefined) return known;
  const bus = new PatternBus();
  buses.set(runtime, bus);
  return bus;
}

/** What the console's pattern routes use. */
export function patternAdminOf(runtime: Runtime) {
  return {
    dir: patternsDir(runtime.paths.areasDir),
    maxBytes: runtime.config.patterns.maxBytes,
    bus: patternBusOf(runtime),
  };
}

/** What the appliance API's pattern routes use; statusUrl comes from configuration (C26). */
export function patternApiOf(runtime: Runtime, statusUrl: () => string): PatternApiDeps {
  return {
    dir: patternsDir(runtime.paths.areasDir),
    bus: patternBusOf(runtime),
    statusUrl,
    pollMs: PATTERN_POLL_MS,
    keepAliveMs: KEEP_ALIVE_MS,
  };
}

/** The deployment sweeper runs while the status server's HTTPS listener does. */
export function sweepingPatterns(api: Listener, runtime: Runtime): Listener {
  const deps = {
    store: runtime.store,
    clock: runtime.clock,
    logger: runtime.logger.child({ server: 'status', task: 'pattern-sweep' }),
    confirmSeconds: runtime.config.patterns.confirmSeconds,
    bus: patternBusOf(runtime),
  };
  let sweeper: DeploymentSweeper | null = null;
  return {
    key: api.key,
    host: api.host,
    start: async () => {
      const port = await api.start();
      sweeper = startDeploymentSweeper(deps, deploymentSweepMs(deps.confirmSeconds));
      return port;
    },
    stop: async (graceMs) => {
      await Promise.all([api.stop(graceMs), sweeper?.stop()]);
    },
  };
}
