import { mkdirSync } from 'node:fs';
import path from 'node:path';

import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';

import { AppError, describeError } from '../shared/errors.js';
import type { Engine } from './engine.js';
import type { Schema } from './schema.js';

export type Db = Kysely<Schema>;

export interface Store {
  readonly db: Db;
  readonly engine: Engine;
  /** The same database without the camelCase mapping, for migrations and backups. */
  readonly raw: Kysely<unknown>;
  /**
   * SQLite's own connection (null on PostgreSQL), for the ingest hot path to keep prepared
   * statements; it is the one connection kysely uses, so it shares kysely's transactions.
   */
  readonly sqlite: SqliteDatabase.Database | null;
  close(): Promise<void>;
}

export interface StoreLocation {
  /** A postgres:// URL, or null for the embedded SQLite file. */
  url: string | null;
  sqliteFile: string;
  /**
   * How long a PostgreSQL statement waits for a lock another session holds before it fails
   * (10 s unless set): a table locked by hand or by a stuck client then refuses writes, which
   * back-pressure reports, instead of hanging every push behind it.
   */
  lockTimeoutMs?: number;
}

const LOCK_TIMEOUT_MS = 10_000;
/** A session idle inside a transaction holds its locks; after this it is ended. */
const IDLE_IN_TRANSACTION_MS = 60_000;

// Times (epoch ms) and counters are bigint columns; they stay far below 2^53, so they are read
// as numbers, the same as from SQLite.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

/** Opens the database and proves it answers, or fails with one line naming the problem. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const { engine, raw, sqlite } =
    location.url === null
      ? openSqlite(location.sqliteFile)
      : openPostgres(location.url, location.lockTimeoutMs ?? LOCK_TIMEOUT_MS);
  const db = raw.withPlugin(new CamelCasePlugin()) as unknown as Db;

  try {
    await sql`select 1`.execute(raw);
  } catch (error) {
    await raw.destroy().catch(() => undefined);
    const where = location.url === null ? location.sqliteFile : redactUrl(location.url);
    throw new AppError(
      'database_unreachable',
      `database ${where} is unreachable: ${databaseReason(error)}`,
      {
        cause: error,
      },
    );
  }

  return { db, engine, raw, sqlite, close: () => raw.destroy() };
}

interface Opened {
  engine: Engine;
  raw: Kysely<unknown>;
  sqlite: SqliteDatabase.Database | null;
}

function openSqlite(file: string): Opened {
  let database: SqliteDatabase.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    database = new SqliteDatabase(file, { timeout: 10_000 });
    // WAL lets the CLI write while the servers read; FULL makes every commit survive a crash.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    throw new AppError(
      'database_unreachable',
      `database ${file} cannot be opened: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  return {
    engine: 'sqlite',
    raw: new Kysely<unknown>({ dialect: new SqliteDialect({ database }) }),
    sqlite: database,
  };
}

function openPostgres(url: string, lockTimeoutMs: number): Opened {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5_000,
    options:
      `-c lock_timeout=${Math.trunc(lockTimeoutMs)}` +
      ` -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
  });
  // A client that loses its server must not take the process down: an idle one reports to the
  // pool, and one checked out between two statements (inside a transaction) would otherwise
  // emit its error with nobody listening. The statement in hand still fails on its own.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    engine: 'postgres',
    raw: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }),
    sqlite: null,
  };
}

/** A connection URL fit for a log line or an error message: the password is removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

function databaseReason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return databaseReason(error.errors[0]);
  const code = (error as { code?: unknown }).code;
  const message = describeError(error);
  if (message) return message;
  return typeof code === 'string' ? code : 'unknown error';
}
