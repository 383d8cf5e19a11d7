import { Command, CommanderError } from 'commander';

import { describeError, isAppError } from '../shared/errors.js';
import { registerAdmin } from './commands/admin.js';
import { registerBackup } from './commands/backup.js';
import { registerCas } from './commands/cas.js';
import { registerCustomer } from './commands/customer.js';
import { registerLogs } from './commands/logs.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPattern } from './commands/pattern.js';
import { registerProduct } from './commands/product.js';
import { registerPurge } from './commands/purge.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStats } from './commands/stats.js';
import { registerUp } from './commands/up.js';

/**
 * The `tmsp` command. Every failure ends as one line on standard error and a non-zero exit:
 * 1 for a problem with the system or its input, 2 for a mistake in the command line itself.
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('tmsp')
    .description('Threat Management Services Portal')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerUp(program);
  registerMigrate(program);
  registerBackup(program);
  registerCustomer(program);
  registerStats(program);
  registerAdmin(program);
  registerCas(program);
  registerProduct(program);
  registerPattern(program);
  registerLogs(program);
  registerPurge(program);
  registerSimulate(program);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeOf(error);
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander printed its own message; --help and --version end here with code 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isAppError(error)) {
    process.stderr.write(`tmsp: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`tmsp: unexpected failure: ${describeError(error)}\n`);
  return 1;
}
