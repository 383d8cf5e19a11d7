import type { Command } from 'commander';

import { withRuntime, type LocationOptions } from '../context.js';
import { withLocation } from './customer.js';

export function registerMigrate(program: Command): void {
  withLocation(program.command('migrate'))
    .description('create or bring the database schema up to date')
    .action(async (options: LocationOptions) => {
      await withRuntime(options, () => Promise.resolve(), 'create');
      process.stdout.write('the data directory and database are ready and up to date\n');
    });
}
