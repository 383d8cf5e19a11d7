import { setTimeout as sleep } from 'node:timers/promises';

import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';

import type { Store } from '../../src/storage/database.js';
import type { ScratchDatabase } from '../support/databases.js';

/** An outage a test started; end() makes the store writable again. */
export interface Outage {
  end(): Promise<void>;
}

/**
 * Makes the store refuse writes for real, while reads go on: on SQLite another connection
 * holds the write lock (as a long CLI command or a backup tool might); on PostgreSQL the
 * database turns read-only, as after a fail-over to a standby, and the server's sessions are
 * ended so that its new ones get the setting.
 */
export async function makeUnwritable(store: Store, database: ScratchDatabase): Promise<Outage> {
  if (store.engine === 'sqlite') {
    const holder = new SqliteDatabase(database.sqliteFile);
    holder.exec('BEGIN EXCLUSIVE');
    return {
      end: () => {
        holder.exec('ROLLBACK');
        holder.close();
        return Promise.resolve();
      },
    };
  }
  await setReadOnly(database, true);
  return { end: () => setReadOnly(database, false) };
}

/** The server's wait for SQLite's lock, cut from 10 s to a fraction of a second. */
export async function shortBusyTimeout(store: Store): Promise<void> {
  if (store.engine === 'sqlite') await sql`pragma busy_timeout = 200`.execute(store.raw);
}

async function setReadOnly(database: ScratchDatabase, on: boolean): Promise<void> {
  const name = new URL(database.url ?? '').pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
  await admin.connect();
  try {
    await admin.query(
      `alter database ${name} set default_transaction_read_only = ${on ? 'on' : 'off'}`,
    );
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
      name,
    ]);
  } finally {
    await admin.end();
  }
}

/** Polls until the condition holds; fails the test after the deadline. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
