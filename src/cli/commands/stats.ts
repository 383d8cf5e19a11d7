import type { Command } from 'commander';

import { customerStats } from '../../stats/customer-stats.js';
import { withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';
import { withLocation } from './customer.js';

export function registerStats(program: Command): void {
  withLocation(program.command('stats'))
    .description('registered products and counts of one customer account')
    .requiredOption('--customer <name>', 'customer account name')
    .option('--json', 'machine-readable output')
    .action(async (options: LocationOptions & { customer: string; json?: boolean }) => {
      const stats = await withRuntime(options, (runtime) =>
        customerStats(
          runtime.store.db,
          options.customer,
          runtime.clock.now(),
          runtime.config.servers.status.heartbeatTimeoutSeconds * 1000,
        ),
      );
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
        return;
      }
      const products = stats.products.map((p) => [
        p.guid,
        p.type ?? '?',
        p.hostName ?? '',
        p.online ? 'online' : 'offline',
      ]);
      const counts = Object.entries(stats.counts).map(([name, value]) => `${name} ${value}`);
      process.stdout.write(
        `${stats.customer}\n${formatTable(['GUID', 'TYPE', 'HOST', 'STATE'], products)}\n${counts.join(', ')}\n`,
      );
    });
}
