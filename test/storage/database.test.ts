import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AppError } from '../../src/shared/errors.js';
import { openStore, redactUrl, type StoreLocation } from '../../src/storage/database.js';
import { ENGINES, scratchDatabase } from '../support/databases.js';

const PASSWORD = 'Pg-Pa55word-never-shown';

/** The AppError openStore throws for a location (fails the test if it opens). */
async function openFailure(location: StoreLocation): Promise<AppError> {
  try {
    const store = await openStore(location);
    await store.close();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('openStore opened a database it should not reach');
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'tmsp-db-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('openStore', () => {
  it('fails on an unreachable PostgreSQL server with one line and no password', async () => {
    const url = `postgres://tmsp:${PASSWORD}@127.0.0.1:1/x`;
    const error = await openFailure({ url, sqliteFile: path.join(directory, 'unused.sqlite') });
    expect(error.code).toBe('database_unreachable');
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).toMatch(/^database postgres:\/\/tmsp:\*\*\*@127\.0\.0\.1:1\/x /);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.httpStatus).toBe(503);
  });

  it('fails on an unparsable PostgreSQL URL without echoing it', async () => {
    const url = `postgres://tmsp:${PASSWORD}@127.0.0.1:notaport/x`;
    const error = await openFailure({ url, sqliteFile: path.join(directory, 'unused.sqlite') });
    expect(error.code).toBe('database_unreachable');
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('\n');
  });

  it.runIf(ENGINES.includes('postgres'))(
    'names a missing PostgreSQL database without showing the password',
    async () => {
      const url = new URL(process.env['DATABASE_URL'] as string);
      url.pathname = '/tmsp_no_such_database_7f3a';
      url.password = PASSWORD;
      const error = await openFailure({ url: url.toString(), sqliteFile: 'unused' });
      expect(error.code).toBe('database_unreachable');
      expect(error.message).toContain('tmsp_no_such_database_7f3a');
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('\n');
    },
  );

  it('fails with one line when the SQLite file cannot be opened', async () => {
    const blocker = path.join(directory, 'not-a-directory');
    await writeFile(blocker, '');
    const sqliteFile = path.join(blocker, 'tmsp.sqlite');
    const error = await openFailure({ url: null, sqliteFile });
    expect(error.code).toBe('database_unreachable');
    expect(error.message).toMatch(new RegExp(`^database ${sqliteFile} cannot be opened: `));
    expect(error.message).not.toContain('\n');
  });

  it('fails with one line when the SQLite file is not a database', async () => {
    const sqliteFile = path.join(directory, 'garbage.sqlite');
    await writeFile(sqliteFile, 'this is not an SQLite database '.repeat(200));
    const error = await openFailure({ url: null, sqliteFile });
    expect(error.code).toBe('database_unreachable');
    expect(error.message).toContain(sqliteFile);
    expect(error.message).not.toContain('\n');
  });

  it('creates the SQLite file and its directory, in WAL mode with foreign keys on', async () => {
    const sqliteFile = path.join(directory, 'nested', 'data', 'tmsp.sqlite');
    const store = await openStore({ url: null, sqliteFile });
    try {
      expect(store.engine).toBe('sqlite');
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.raw);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      const keys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.raw);
      expect(keys.rows[0]?.foreign_keys).toBe(1);
    } finally {
      await store.close();
    }
  });

  it.runIf(ENGINES.includes('postgres'))(
    'opens PostgreSQL and reads bigint values as numbers',
    async () => {
      const database = await scratchDatabase('postgres');
      const store = await openStore({ url: database.url, sqliteFile: database.sqliteFile });
      try {
        expect(store.engine).toBe('postgres');
        const { rows } = await sql<{ n: unknown }>`select 1700000000000::bigint as n`.execute(
          store.raw,
        );
        expect(rows[0]?.n).toBe(1_700_000_000_000);
      } finally {
        await store.close();
        await database.drop();
      }
    },
  );
});

describe.runIf(ENGINES.includes('postgres'))('a PostgreSQL table held locked', () => {
  it('fails a write after the lock timeout instead of hanging it', async () => {
    const database = await scratchDatabase('postgres');
    const location = { url: database.url, sqliteFile: database.sqliteFile };
    const holder = await openStore(location);
    const store = await openStore({ ...location, lockTimeoutMs: 300 });
    try {
      await sql`create table held (n integer)`.execute(holder.raw);
      await holder.raw.transaction().execute(async (trx) => {
        await sql`lock table held in access exclusive mode`.execute(trx);
        await expect(sql`insert into held values (1)`.execute(store.raw)).rejects.toThrow(
          /lock timeout/,
        );
      });
    } finally {
      await store.close();
      await holder.close();
      await database.drop();
    }
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl(`postgres://tmsp:${PASSWORD}@db.internal:5432/tmsp?sslmode=require`)).toBe(
      'postgres://tmsp:***@db.internal:5432/tmsp?sslmode=require',
    );
  });

  it('leaves a URL without password as it is', () => {
    expect(redactUrl('postgres://tmsp@127.0.0.1:5432/tmsp')).toBe(
      'postgres://tmsp@127.0.0.1:5432/tmsp',
    );
  });

  it('hides a password that needed percent-encoding', () => {
    const redacted = redactUrl('postgres://tmsp:p%40ss%3Aw0rd@127.0.0.1/tmsp');
    expect(redacted).toBe('postgres://tmsp:***@127.0.0.1/tmsp');
  });

  it('does not echo a URL it cannot parse', () => {
    expect(redactUrl(`//tmsp:${PASSWORD}@127.0.0.1/x`)).toBe('(unparsable database URL)');
  });
});
