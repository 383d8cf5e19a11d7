import path from 'node:path';

import type { Command } from 'commander';

import { createBackup } from '../../backup/backup.js';
import { restoreBackup } from '../../backup/restore.js';
import { ensureBuiltInAdministrator } from '../../accounts/administrators.js';
import { withRuntime, type LocationOptions } from '../context.js';
import { withLocation } from './customer.js';

export function registerBackup(program: Command): void {
  withLocation(program.command('backup'))
    .description('write a consistent copy of the database, the keys and the stored files')
    .requiredOption('--out <file>', 'the archive to write (.tar.gz)')
    .action(async (options: LocationOptions & { out: string }) => {
      const out = path.resolve(options.out);
      const manifest = await withRuntime(options, (runtime) =>
        createBackup(runtime.store, runtime.paths, runtime.clock, out),
      );
      const rows = Object.values(manifest.tables).reduce((sum, n) => sum + n, 0);
      process.stdout.write(
        `backup written to ${out}: ${rows} rows, ${manifest.keys.length} keys, ` +
          `${manifest.files} files\n`,
      );
      process.stdout.write('it holds the secrets key: keep it as safe as the keys themselves\n');
    });

  withLocation(program.command('restore'))
    .description('restore a backup into an empty data directory and database')
    .requiredOption('--from <file>', 'the archive written by tmsp backup')
    .action(async (options: LocationOptions & { from: string }) => {
      const manifest = await withRuntime(
        options,
        async (runtime) => {
          const restored = await restoreBackup(
            runtime.store,
            runtime.paths,
            path.resolve(options.from),
          );
          await ensureBuiltInAdministrator(runtime.store, runtime.clock);
          return restored;
        },
        'restore',
      );
      process.stdout.write(`restored the backup of ${manifest.createdAt}\n`);
    });
}
