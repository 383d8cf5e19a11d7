import type { Command } from 'commander';

import { purgeExpired, type PurgeReport } from '../../ingest/retention.js';
import { withRuntime, type LocationOptions } from '../context.js';
import { withLocation } from './customer.js';

export function registerPurge(program: Command): void {
  withLocation(program.command('purge'))
    .description('remove what is older than the retention periods now (the log server does hourly)')
    .option('--json', 'machine-readable output')
    .action(async (options: LocationOptions & { json?: boolean }) => {
      const report = await withRuntime(options, (runtime) =>
        purgeExpired({
          store: runtime.store,
          areasDir: runtime.paths.areasDir,
          clock: runtime.clock,
          logger: runtime.logger,
          policy: runtime.config.retention,
        }),
      );
      process.stdout.write(
        options.json === true ? `${JSON.stringify(report)}\n` : describe(report),
      );
    });
}

function describe(report: PurgeReport): string {
  return (
    `purged ${report.detections} detections, ${report.otherEvents} other events, ` +
    `${report.quarantined} quarantined lines, ${report.summaries} hourly summaries, ` +
    `${report.incidents} incidents and ${report.rawFiles} received files\n`
  );
}
