import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';

import type { Db, Store } from '../storage/database.js';
import { StoreFailure } from './store-failures.js';

/** The settings row the probe rewrites: a write of its own, touching nobody's data. */
export const PROBE_SETTING = 'logserver.store_probe';

/**
 * Runs fn without waiting for a lock another connection holds. better-sqlite3 waits for a lock
 * synchronously, stalling every door of the process for the whole busy timeout; a probe that
 * fails at once and is tried again later costs nothing. fn should run single statements, each
 * its own transaction.
 */
export async function withoutWaiting<T>(store: Store, fn: (db: Db) => Promise<T>): Promise<T> {
  if (store.engine === 'postgres') return fn(store.db);
  return store.db.connection().execute(async (db) => {
    const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
    const previous = rows[0]?.timeout ?? 0;
    await sql`pragma busy_timeout = 0`.execute(db);
    try {
      return await fn(db);
    } finally {
      await sql.raw(`pragma busy_timeout = ${Math.trunc(previous)}`).execute(db);
    }
  });
}

/**
 * One small write to the database and one to the disk holding the areas, the two things a push
 * writes to; throws a StoreFailure naming the part that still refuses.
 */
export async function probeStore(store: Store, areasDir: string, now: Date): Promise<void> {
  const value = now.toISOString();
  try {
    await withoutWaiting(store, (db) =>
      db
        .insertInto('settings')
        .values({ key: PROBE_SETTING, value })
        .onConflict((conflict) => conflict.column('key').doUpdateSet({ value }))
        .execute(),
    );
  } catch (error) {
    throw new StoreFailure('database', 'the database refused the probe write', error);
  }
  try {
    await probeDisk(areasDir);
  } catch (error) {
    throw new StoreFailure('disk', 'the areas disk refused the probe write', error);
  }
}

/** Writes, syncs and removes a small file: a full or read-only disk refuses one of the steps. */
async function probeDisk(areasDir: string): Promise<void> {
  const file = path.join(areasDir, `.store-probe-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile('probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } finally {
    await rm(file, { force: true });
  }
}
