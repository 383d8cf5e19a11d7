import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';

import type { Engine } from '../../src/storage/engine.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';

/**
 * The engines every storage test runs on: SQLite always, PostgreSQL when DATABASE_URL names a
 * server (the test command sets it; CI always does).
 */
export const ENGINES: Engine[] = process.env['DATABASE_URL'] ? ['sqlite', 'postgres'] : ['sqlite'];

export interface ScratchDatabase {
  /** null for SQLite; else the URL of a database of its own. */
  url: string | null;
  sqliteFile: string;
  directory: string;
  drop(): Promise<void>;
}

/** A new, empty database on the engine, gone again after drop(). */
export async function scratchDatabase(engine: Engine): Promise<ScratchDatabase> {
  const directory = await mkdtemp(path.join(tmpdir(), 'tmsp-test-'));
  const sqliteFile = path.join(directory, 'tmsp.sqlite');
  if (engine === 'sqlite') {
    return {
      url: null,
      sqliteFile,
      directory,
      drop: () => rm(directory, { recursive: true, force: true }),
    };
  }

  const adminUrl = process.env['DATABASE_URL'] as string;
  const name = `tmsp_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    sqliteFile,
    directory,
    drop: async () => {
      await withAdmin(adminUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      );
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A migrated store on a scratch database. */
export async function scratchStore(
  engine: Engine,
): Promise<{ store: Store; database: ScratchDatabase; close(): Promise<void> }> {
  const database = await scratchDatabase(engine);
  const store = await openStore({ url: database.url, sqliteFile: database.sqliteFile });
  await migrateToLatest(store);
  return {
    store,
    database,
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
