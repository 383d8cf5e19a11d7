import { Migrator, type MigrationResultSet } from 'kysely';

import { AppError, describeError } from '../shared/errors.js';
import type { Store } from './database.js';
import { migrations } from './migrations/index.js';

/** Brings the schema up to date; safe to run from several processes at once. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.raw,
    provider: { getMigrations: () => Promise.resolve(migrations(store.engine)) },
  });
  const outcome: MigrationResultSet = await migrator.migrateToLatest();

  if (outcome.error !== undefined) {
    throw new AppError(
      'startup_failed',
      `database migration failed: ${describeError(outcome.error)}`,
      {
        cause: outcome.error,
      },
    );
  }
  return (outcome.results ?? []).map((result) => result.migrationName);
}
