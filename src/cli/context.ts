import { userInfo } from 'node:os';

import type { Actor } from '../accounts/customers.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, type LogLevel, type Logger } from '../shared/log.js';
import { openRuntime, type Runtime } from '../system/runtime.js';

/** The options every command takes to find its configuration and data. */
export interface LocationOptions {
  dataDir?: string;
  config?: string;
}

export function readConfig(options: LocationOptions): Config {
  return loadConfig({ file: options.config, dataDir: options.dataDir });
}

/**
 * Operations commands keep their output for the result: the log says only what went wrong,
 * unless the configuration asks for more.
 */
export function commandLogger(config: Config, quietByDefault: boolean): Logger {
  const level: LogLevel = quietByDefault && config.log.level === 'info' ? 'warn' : config.log.level;
  return createLogger({ level, format: config.log.format });
}

/**
 * existing: the data directory must be there already (a mistyped path is an error, not a new,
 * empty installation); create: make what is missing (migrate); restore: create, seed nothing.
 */
export type RuntimeMode = 'existing' | 'create' | 'restore';

/** Opens the data directory and database for one command, and always closes them again. */
export async function withRuntime<T>(
  options: LocationOptions,
  fn: (runtime: Runtime) => Promise<T>,
  mode: RuntimeMode = 'existing',
): Promise<T> {
  const config = readConfig(options);
  const runtime = await openRuntime(config, commandLogger(config, true), {
    create: mode !== 'existing',
    seed: mode !== 'restore',
  });
  try {
    return await fn(runtime);
  } finally {
    await runtime.store.close();
  }
}

/** The audit trail's name for whoever runs the command line. */
export function cliActor(): Actor {
  return { name: `cli:${userInfo().username}`, source: 'cli' };
}
