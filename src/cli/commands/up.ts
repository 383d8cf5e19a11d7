import type { Command } from 'commander';

import { firstLogonPending } from '../../accounts/administrators.js';
import { SERVER_NAMES, type ServerName } from '../../config/schema.js';
import { invalidInput } from '../../shared/errors.js';
import { openRuntime } from '../../system/runtime.js';
import { startSystem, type RunningSystem } from '../../system/start.js';
import { commandLogger, readConfig, type LocationOptions } from '../context.js';
import { describeEndpoints } from '../output.js';

const FORCED_EXIT_MS = 8_000;

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start all five servers in one process on the configured database')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'configuration file (JSON)')
    .action((options: LocationOptions) => run(options, SERVER_NAMES));

  program
    .command('serve')
    .description('start one server alone (admin, portal, log, status or cas)')
    .argument('<server>', 'which server')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'configuration file (JSON)')
    .action((server: string, options: LocationOptions) => {
      if (!SERVER_NAMES.includes(server as ServerName)) {
        throw invalidInput(`unknown server "${server}": choose one of ${SERVER_NAMES.join(', ')}`);
      }
      return run(options, [server as ServerName]);
    });
}

async function run(options: LocationOptions, names: readonly ServerName[]): Promise<void> {
  const config = readConfig(options);
  const logger = commandLogger(config, false);
  const stopWhenAsked = watchSignals(logger);
  const runtime = await openRuntime(config, logger);
  let system: RunningSystem;
  try {
    system = await startSystem(runtime, names);
  } catch (error) {
    await runtime.store.close().catch(() => undefined);
    throw error;
  }
  stopWhenAsked(system);

  const lines = describeEndpoints(system.endpoints, names);
  if (names.includes('admin') && (await firstLogonPending(runtime.store))) {
    lines.push(
      'First logon: admin / 123456 (the console makes you change it before anything else)',
    );
  }
  if (names.length === SERVER_NAMES.length) lines.push(`Endpoints: ${runtime.paths.endpointsFile}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Listens for SIGINT and SIGTERM from the start: a script may signal as soon as it reads the
 * URLs (or endpoints.json), and the default action would end the process without a clean stop.
 * A signal that comes while the servers start stops them once they are up; a second one ends
 * the process at once. Returns the function that hands over the started system.
 */
function watchSignals(logger: ReturnType<typeof commandLogger>): (system: RunningSystem) => void {
  let running: RunningSystem | null = null;
  let asked = false;
  const stop = (system: RunningSystem): void => {
    setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
    system.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stopped with an error');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (asked) process.exit(1);
    asked = true;
    logger.info({ signal }, 'stopping');
    if (running !== null) stop(running);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return (system) => {
    running = system;
    if (asked) stop(system);
  };
}
