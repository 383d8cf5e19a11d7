import { createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';

import { sql, type Kysely } from 'kysely';
import * as tar from 'tar';

import type { DataPaths } from '../config/paths.js';
import type { Clock } from '../shared/clock.js';
import { AppError, describeError } from '../shared/errors.js';
import { pathExists } from '../shared/files.js';
import type { Store } from '../storage/database.js';
import { BACKUP_TABLES } from '../storage/tables.js';
import { inReadSnapshot } from '../storage/transaction.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  keyFiles,
  tableFile,
  type BackupManifest,
} from './manifest.js';
import { encodeRow } from './rows.js';

const PAGE = 2_000;

/**
 * Writes a consistent copy of the database (one snapshot, engine-neutral JSON lines), the keys
 * and the stored files into one .tar.gz. Without the secrets key every registration secret is
 * void, so it is always included: keep backups as safe as the keys themselves.
 */
export async function createBackup(
  store: Store,
  paths: DataPaths,
  clock: Clock,
  outFile: string,
): Promise<BackupManifest> {
  const staging = await mkdtemp(path.join(paths.dataDir, '.backup-'));
  try {
    const tables = await inReadSnapshot(store, (db) => dumpTables(db, staging));
    const migrations = await appliedMigrations(store.raw);
    const keys = await stageKeys(paths, staging);
    const files = await stageTree(paths.areasDir, path.join(staging, 'areas'));
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: clock.now().toISOString(),
      engine: store.engine,
      migrations,
      tables,
      keys,
      files,
    };
    await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    await writeArchive(staging, outFile);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The archive holds every private key, so it is created readable by its owner only; a partial
 * archive (a crash, a full disk) is removed, never left for someone to read.
 */
async function writeArchive(staging: string, outFile: string): Promise<void> {
  const temporary = `${outFile}.partial`;
  try {
    await writeFile(temporary, '', { mode: 0o600 });
    await chmod(temporary, 0o600);
    await tar.create(
      { gzip: true, file: temporary, cwd: staging, portable: true },
      await readdir(staging),
    );
    await rename(temporary, outFile);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new AppError(
      'invalid_input',
      `cannot write the backup to ${outFile}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function dumpTables(db: Kysely<unknown>, staging: string): Promise<Record<string, number>> {
  await mkdir(path.join(staging, 'database'));
  const counts: Record<string, number> = {};
  for (const table of BACKUP_TABLES)
    counts[table.name] = await dumpTable(db, table.name, table.key, staging);
  return counts;
}

async function dumpTable(
  db: Kysely<unknown>,
  table: string,
  key: string,
  staging: string,
): Promise<number> {
  const out = createWriteStream(tableFile(staging, table));
  let count = 0;
  let last: unknown = null;

  for (;;) {
    const after = last === null ? sql`` : sql`where ${sql.ref(key)} > ${last}`;
    const page = await sql<Record<string, unknown>>`select * from ${sql.table(table)} ${after}
      order by ${sql.ref(key)} limit ${PAGE}`.execute(db);
    for (const row of page.rows) out.write(`${encodeRow(row)}\n`);
    count += page.rows.length;
    if (page.rows.length < PAGE) break;
    last = page.rows[page.rows.length - 1]?.[key] ?? null;
  }

  out.end();
  await finished(out);
  return count;
}

async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const result = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(db);
  return result.rows.map((row) => row.name);
}

async function stageKeys(paths: DataPaths, staging: string): Promise<string[]> {
  await mkdir(path.join(staging, 'keys'), { mode: 0o700 });
  const included: string[] = [];
  for (const [name, file] of Object.entries(keyFiles(paths))) {
    if (!(await pathExists(file))) continue;
    await copyFile(file, path.join(staging, 'keys', name));
    included.push(name);
  }
  return included;
}

/**
 * Mirrors the stored files into the staging folder, by hard link where it can (files are only
 * ever renamed into place, so a link is a consistent copy). Temporary files (dot names) stay out.
 */
async function stageTree(source: string, target: string): Promise<number> {
  if (!(await pathExists(source))) return 0;
  await mkdir(target, { recursive: true });
  let count = 0;
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) count += await stageTree(from, to);
    else if (entry.isFile()) {
      await link(from, to).catch(() => copyFile(from, to));
      count += 1;
    }
  }
  return count;
}
