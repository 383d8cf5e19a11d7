import { mkdir, stat } from 'node:fs/promises';

import { ensureBuiltInAdministrator } from '../accounts/administrators.js';
import { dataPaths, type DataPaths } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import { ensureKeyMaterial, ensureSecretBox, type KeyMaterial } from '../keys/material.js';
import type { SecretBox } from '../keys/secret-box.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { AppError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { openStore, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { certificateNames } from './endpoints.js';

/** What a command works on: the configuration, the data directory and the database. */
export interface Runtime {
  config: Config;
  paths: DataPaths;
  store: Store;
  clock: Clock;
  logger: Logger;
}

/**
 * Prepares the data directory and the database (creating and migrating what is missing).
 * Every failure is one AppError naming the problem.
 */
export async function openRuntime(
  config: Config,
  logger: Logger,
  options: { seed?: boolean; create?: boolean; clock?: Clock } = {},
): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const paths = dataPaths(config);
  await prepareDataDir(paths.dataDir, options.create !== false);
  if (options.create !== false) await mkdir(paths.areasDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ url: config.database.url, sqliteFile: paths.databaseFile });

  try {
    const applied = await migrateToLatest(store);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    if (options.seed !== false) await ensureBuiltInAdministrator(store, clock);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { config, paths, store, clock, logger };
}

export function loadKeyMaterial(runtime: Runtime): Promise<KeyMaterial> {
  return ensureKeyMaterial(
    runtime.paths,
    certificateNames(runtime.config),
    runtime.clock.now(),
    runtime.logger,
  );
}

export function loadSecretBox(runtime: Runtime): Promise<SecretBox> {
  return ensureSecretBox(runtime.paths, runtime.logger);
}

async function prepareDataDir(dataDir: string, create: boolean): Promise<void> {
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory())
      throw new AppError('startup_failed', `data directory ${dataDir} is not a directory`);
  } catch (error) {
    if (error instanceof AppError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError(
        'startup_failed',
        `data directory ${dataDir} cannot be read: ${describeError(error)}`,
      );
    }
    if (!create) {
      throw new AppError(
        'startup_failed',
        `data directory ${dataDir} does not exist (tmsp up or tmsp migrate creates one)`,
      );
    }
    await mkdir(dataDir, { recursive: true, mode: 0o700 }).catch((cause: unknown) => {
      throw new AppError(
        'startup_failed',
        `data directory ${dataDir} cannot be created: ${describeError(cause)}`,
      );
    });
  }
}
