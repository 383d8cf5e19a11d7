import { sql, type Kysely } from 'kysely';

import type { Db, Store } from './database.js';

/**
 * Runs fn in one write transaction. On SQLite it begins IMMEDIATE: the write lock is taken up
 * front, so a CLI command and the servers writing at once wait for each other instead of
 * failing on a stale read snapshot.
 */
export async function inTransaction<T>(store: Store, fn: (db: Db) => Promise<T>): Promise<T> {
  if (store.engine === 'postgres') return store.db.transaction().execute(fn);

  return store.db
    .connection()
    .execute((connection) => sqliteTransaction(connection, 'immediate', fn));
}

/**
 * Runs fn on one consistent snapshot of the database without blocking writers: a deferred
 * transaction in SQLite's WAL mode, a read-only repeatable-read one on PostgreSQL.
 */
export async function inReadSnapshot<T>(
  store: Store,
  fn: (db: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  if (store.engine === 'postgres') {
    return store.raw
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(fn);
  }
  return store.raw
    .connection()
    .execute((connection) => sqliteTransaction(connection, 'deferred', fn));
}

/** SQLite's own BEGIN: kysely cannot ask for IMMEDIATE, which writers need. */
async function sqliteTransaction<DB, T>(
  connection: Kysely<DB>,
  mode: 'immediate' | 'deferred',
  fn: (db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  await sql.raw(`begin ${mode}`).execute(connection);
  try {
    const result = await fn(connection);
    await sql`commit`.execute(connection);
    return result;
  } catch (error) {
    await sql`rollback`.execute(connection);
    throw error;
  }
}
