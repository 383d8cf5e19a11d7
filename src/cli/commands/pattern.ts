import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { findCustomer } from '../../accounts/customers.js';
import { deployPattern } from '../../patterns/deployments.js';
import { listDeployments } from '../../patterns/deployment-status.js';
import { patternsDir } from '../../patterns/pattern-files.js';
import { findAnyPattern, uploadPattern } from '../../patterns/patterns.js';
import { AppError, describeError, invalidInput } from '../../shared/errors.js';
import type { Runtime } from '../../system/runtime.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';
import { withLocation } from './customer.js';

interface UploadOptions extends LocationOptions {
  customer: string;
  type: string;
  version: string;
  file: string;
  description?: string;
}

interface PatternOptions extends LocationOptions {
  pattern: string;
  product?: string;
  json?: boolean;
}

export function registerPattern(program: Command): void {
  const pattern = program.command('pattern').description('custom patterns for Threat Mitigators');

  withLocation(pattern.command('upload'))
    .description('upload a custom pattern for a customer account; prints its id')
    .requiredOption('--customer <name>', 'customer account name')
    .requiredOption('--type <type>', 'bandage or controlled')
    .requiredOption('--version <version>', 'the version its heartbeats will report')
    .requiredOption('--file <file>', 'the pattern file')
    .option('--description <text>', 'what it is for', '')
    .action(async (options: UploadOptions) => {
      const id = await withRuntime(options, (runtime) => upload(runtime, options));
      process.stdout.write(`${id}\n`);
    });

  withLocation(pattern.command('deploy'))
    .description("deploy a pattern to its account's Threat Mitigators, or to one")
    .requiredOption('--pattern <id>', 'pattern id')
    .option('--product <guid>', 'only this appliance')
    .action(async (options: PatternOptions) => {
      const deployed = await withRuntime(options, async (runtime) => {
        const found = await findAnyPattern(runtime.store.db, patternId(options.pattern));
        const request = {
          customerId: found.customerId,
          patternId: found.id,
          guid: options.product,
        };
        return deployPattern(runtime, request, cliActor());
      });
      process.stdout.write(
        `pattern ${deployed.patternId}: ${deployed.created} new deployment(s), ` +
          `${deployed.targets} appliance(s) named\n`,
      );
    });

  withLocation(pattern.command('status'))
    .description('show where a pattern is notified, downloaded, deployed or failed')
    .requiredOption('--pattern <id>', 'pattern id')
    .option('--json', 'machine-readable output')
    .action(async (options: PatternOptions) => {
      const deployments = await withRuntime(options, async (runtime) => {
        const found = await findAnyPattern(runtime.store.db, patternId(options.pattern));
        return listDeployments(runtime.store.db, found.customerId, found.id);
      });
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(deployments, null, 2)}\n`);
        return;
      }
      const rows = deployments.map((one) => [
        one.guid,
        one.status,
        String(one.attempts),
        one.runningVersion ?? '',
        one.deployedAt ?? one.failure ?? '',
      ]);
      const header = ['GUID', 'STATUS', 'ATTEMPTS', 'RUNNING', 'DEPLOYED / FAILURE'];
      process.stdout.write(`${formatTable(header, rows)}\n`);
    });
}

async function upload(runtime: Runtime, options: UploadOptions): Promise<number> {
  const content = await readFile(options.file).catch((error: unknown) => {
    throw new AppError('invalid_input', `${options.file} cannot be read: ${describeError(error)}`);
  });
  if (content.length > runtime.config.patterns.maxBytes) {
    throw invalidInput(`${options.file} is larger than patterns.maxBytes`);
  }
  const customer = await findCustomer(runtime.store.db, options.customer);
  const catalogue = { ...runtime, dir: patternsDir(runtime.paths.areasDir) };
  const upload = {
    customerId: customer.id,
    type: options.type,
    version: options.version,
    description: options.description ?? '',
    content,
  };
  return (await uploadPattern(catalogue, upload, cliActor())).id;
}

function patternId(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw invalidInput('--pattern must be a pattern id');
  return Number(text);
}
