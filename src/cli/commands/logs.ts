import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import type { Command } from 'commander';

import {
  auditExport,
  EXPORT_KINDS,
  exportPages,
  exportText,
  findExportTarget,
  parseExportRange,
} from '../../ingest/raw-export.js';
import { describeError, invalidInput } from '../../shared/errors.js';
import { syncDirectory } from '../../shared/files.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { withLocation } from './customer.js';

interface ExportOptions extends LocationOptions {
  customer: string;
  guid: string;
  kind: string;
  from: string;
  to: string;
  output?: string;
}

export function registerLogs(program: Command): void {
  const logs = program.command('logs').description("a registered product's stored log lines");

  withLocation(logs.command('export'))
    .description('write the raw lines of one kind and time range, in event-time order')
    .requiredOption('--customer <name>', 'customer account name')
    .requiredOption('--guid <guid>', 'the appliance GUID')
    .requiredOption('--kind <kind>', `one of ${EXPORT_KINDS.join(', ')}`)
    .requiredOption('--from <time>', 'ISO 8601 date or time with zone, included')
    .requiredOption('--to <time>', 'ISO 8601 date or time with zone, excluded')
    .option('--output <file>', 'write this file (whole or not at all) instead of standard output')
    .action(exportLogs);
}

async function exportLogs(options: ExportOptions): Promise<void> {
  const range = parseExportRange(options);
  const output = options.output === undefined ? undefined : path.resolve(options.output);
  const tally = { lines: 0 };
  await withRuntime(options, async (runtime) => {
    const db = runtime.store.db;
    const target = await findExportTarget(db, options.customer, options.guid);
    await auditExport(db, runtime.clock.now(), cliActor(), target, range);
    const text = exportText(counted(exportPages(db, target, range), tally));
    if (output === undefined) await writeToStdout(text);
    else await writeFileWhole(output, text);
  });
  if (output !== undefined) process.stdout.write(`${tally.lines} lines written to ${output}\n`);
}

async function* counted(
  pages: AsyncIterable<string[]>,
  tally: { lines: number },
): AsyncGenerator<string[]> {
  for await (const page of pages) {
    tally.lines += page.length;
    yield page;
  }
}

async function writeToStdout(chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

/**
 * Streams into a temporary sibling, syncs it and renames it into place, so that a reader (or
 * a failed export) never leaves a partial file under the name asked for.
 */
async function writeFileWhole(target: string, chunks: AsyncIterable<string>): Promise<void> {
  const directory = path.dirname(target);
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}`,
  );
  const handle = await open(temporary, 'wx', 0o600).catch((error: unknown) => {
    throw invalidInput(`cannot write ${target}: ${describeError(error)}`);
  });
  try {
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}
