import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { sql, type Kysely } from 'kysely';
import * as tar from 'tar';

import type { DataPaths } from '../config/paths.js';
import { AppError, describeError } from '../shared/errors.js';
import { createFileExclusive, pathExists } from '../shared/files.js';
import type { Db, Store } from '../storage/database.js';
import { migrations } from '../storage/migrations/index.js';
import { BACKUP_TABLES, DATA_TABLES, SERIAL_TABLES } from '../storage/tables.js';
import { inTransaction } from '../storage/transaction.js';
import {
  PUBLIC_KEY_FILES,
  keyFiles,
  manifestSchema,
  tableFile,
  type BackupManifest,
} from './manifest.js';
import { decodeRow } from './rows.js';

const BATCH = 400;

/**
 * Restores a backup into an empty data directory and an empty (migrated) database. It refuses
 * to overwrite anything: keys, stored files and rows that already exist stay untouched.
 */
export async function restoreBackup(
  store: Store,
  paths: DataPaths,
  archive: string,
): Promise<BackupManifest> {
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(path.join(paths.dataDir, '.restore-'));
  try {
    await extract(archive, staging);
    const manifest = await readManifest(staging);
    await refuseUnlessEmpty(store, paths);

    // The files go into place inside the database transaction: if they cannot, the rows roll
    // back and what was placed is removed, so the restore can simply be run again.
    await inTransaction(store, async (db) => {
      await removeFactorySeed(db);
      for (const table of BACKUP_TABLES) await loadTable(db, table.name, staging);
      await placeFiles(paths, staging, manifest.keys);
    });
    if (store.engine === 'postgres') await followSequences(store);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

async function placeFiles(paths: DataPaths, staging: string, keys: string[]): Promise<void> {
  const placed: string[] = [];
  try {
    await moveTree(path.join(staging, 'areas'), paths.areasDir, placed);
    await restoreKeys(paths, staging, keys, placed);
  } catch (error) {
    await Promise.all(placed.map((file) => rm(file, { recursive: true, force: true })));
    throw error;
  }
}

async function extract(archive: string, staging: string): Promise<void> {
  try {
    // Read the whole archive once first: a truncated one fails here, before anything is written.
    await tar.list({ file: archive, strict: true });
    // tar refuses absolute names and `..` by default: an archive cannot write outside staging.
    await tar.extract({ file: archive, cwd: staging, strict: true });
  } catch (error) {
    throw new AppError(
      'invalid_input',
      `${archive} is not a readable TMSP backup: ${describeError(error)}`,
    );
  }
}

async function readManifest(staging: string): Promise<BackupManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.join(staging, 'manifest.json'), 'utf8'));
  } catch {
    throw new AppError('invalid_input', 'the archive has no TMSP backup manifest');
  }
  const manifest = manifestSchema.safeParse(parsed);
  if (!manifest.success) {
    throw new AppError(
      'invalid_input',
      'the archive is not a TMSP backup of a format this version reads',
    );
  }
  const known = new Set(Object.keys(migrations('sqlite')));
  const unknown = manifest.data.migrations.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    const names = unknown.join(', ');
    throw new AppError('invalid_input', `the backup comes from a newer TMSP (migrations ${names})`);
  }
  return manifest.data;
}

// What any command seeds into a new database: the built-in administrator, never signed in.
const SEED_TABLES = new Set(['administrators', 'logon_names']);

async function refuseUnlessEmpty(store: Store, paths: DataPaths): Promise<void> {
  const seedOnly = await onlyFactorySeed(store);
  for (const table of DATA_TABLES) {
    if (seedOnly && SEED_TABLES.has(table.name)) continue;
    const found = await sql`select 1 from ${sql.table(table.name)} limit 1`.execute(store.raw);
    if (found.rows.length > 0)
      throw new AppError('conflict', `restore needs an empty database; ${table.name} has rows`);
  }
  for (const file of Object.values(keyFiles(paths))) {
    if (await pathExists(file))
      throw new AppError('conflict', `restore needs an empty data directory; ${file} exists`);
  }
  if (await pathExists(paths.areasDir)) {
    if ((await readdir(paths.areasDir)).length > 0) {
      throw new AppError(
        'conflict',
        `restore needs an empty data directory; ${paths.areasDir} has files`,
      );
    }
  }
}

/** Whether the only rows are the built-in administrator as first created (by tmsp migrate, say). */
async function onlyFactorySeed(store: Store): Promise<boolean> {
  const admins = await store.db.selectFrom('administrators').selectAll().execute();
  const names = await store.db.selectFrom('logonNames').select('nameKey').execute();
  const [admin] = admins;
  return (
    admins.length === 1 &&
    admin?.builtIn === 1 &&
    admin.mustChangePassword === 1 &&
    admin.passwordChangedAt === null &&
    names.length === 1 &&
    names[0]?.nameKey === admin.userName.toLowerCase()
  );
}

/** Removes that seed, so the backup's own administrators come back as they were. */
async function removeFactorySeed(db: Db): Promise<void> {
  await db.deleteFrom('logonNames').where('kind', '=', 'administrator').execute();
  await db.deleteFrom('administrators').where('builtIn', '=', 1).execute();
}

async function loadTable(db: Db, table: string, staging: string): Promise<void> {
  const file = tableFile(staging, table);
  if (!(await pathExists(file))) return;
  // Rows were dumped with their stored column names: they go back without the camelCase plugin.
  const raw = db.withoutPlugins() as unknown as Kysely<Record<string, Record<string, unknown>>>;
  let batch: Record<string, unknown>[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length > 0) await raw.insertInto(table).values(batch).execute();
    batch = [];
  };

  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Infinity,
  })) {
    if (line.length === 0) continue;
    batch.push(decodeRow(line));
    if (batch.length >= BATCH) await flush();
  }
  await flush();
}

async function followSequences(store: Store): Promise<void> {
  for (const table of SERIAL_TABLES) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'),
      coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(store.raw);
  }
}

async function restoreKeys(
  paths: DataPaths,
  staging: string,
  names: string[],
  placed: string[],
): Promise<void> {
  const targets = keyFiles(paths);
  for (const name of names) {
    const target = targets[name];
    if (target === undefined) continue;
    const content = await readFile(path.join(staging, 'keys', name));
    if (await createFileExclusive(target, content, PUBLIC_KEY_FILES.has(name) ? 0o644 : 0o600)) {
      placed.push(target);
    }
  }
}

/** Moves the stored files into place; across file systems (EXDEV) it copies instead. */
async function moveTree(source: string, target: string, placed: string[]): Promise<void> {
  if (!(await pathExists(source))) return;
  await mkdir(path.dirname(target), { recursive: true });
  await rm(target, { recursive: true, force: true });
  placed.push(target);
  try {
    await rename(source, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(source, target, { recursive: true, errorOnExist: true, force: false });
  }
}
