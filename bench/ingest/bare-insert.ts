import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

import type { BenchStore } from './engines.js';

/** PostgreSQL's wire protocol numbers bind parameters with 16 bits. */
const MAX_PG_PARAMETERS = 65_535;

/**
 * Plain prepared-statement inserts on the driver itself, without the query builder or any
 * bookkeeping: the store's own limit that ingestion is measured against, and the quick way
 * to fill millions of rows.
 */
export interface BareWriter {
  /** Inserts rows (values in `columns` order) in one transaction. */
  insert(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly unknown[]>,
  ): Promise<void>;
  /** Runs a statement of the engine's SQL outside any transaction. */
  exec(statement: string): Promise<void>;
  close(): Promise<void>;
}

export interface BareOptions {
  /**
   * For filling only: SQLite without fsync, PostgreSQL without waiting for the WAL flush.
   * The timed reference keeps the store's durability (SQLite synchronous=FULL).
   */
  unsafeFast?: boolean;
}

export function openBareWriter(bench: BenchStore, options: BareOptions = {}): Promise<BareWriter> {
  return bench.url === null
    ? Promise.resolve(sqliteWriter(bench.sqliteFile, options))
    : postgresWriter(bench.url, options);
}

function sqliteWriter(file: string, options: BareOptions): BareWriter {
  const database = new SqliteDatabase(file, { timeout: 10_000 });
  database.pragma('journal_mode = WAL');
  database.pragma(options.unsafeFast === true ? 'synchronous = OFF' : 'synchronous = FULL');
  const statements = new Map<string, SqliteDatabase.Statement>();
  const prepared = (table: string, columns: readonly string[]): SqliteDatabase.Statement => {
    const key = `${table}(${columns.join(',')})`;
    let statement = statements.get(key);
    if (statement === undefined) {
      const marks = columns.map(() => '?').join(', ');
      statement = database.prepare(
        `insert into ${table} (${columns.join(', ')}) values (${marks})`,
      );
      statements.set(key, statement);
    }
    return statement;
  };
  return {
    insert: (table, columns, rows) => {
      const statement = prepared(table, columns);
      database.transaction(() => {
        for (const row of rows) statement.run(row);
      })();
      return Promise.resolve();
    },
    exec: (statement) => {
      database.exec(statement);
      return Promise.resolve();
    },
    close: () => {
      database.close();
      return Promise.resolve();
    },
  };
}

async function postgresWriter(url: string, options: BareOptions): Promise<BareWriter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  if (options.unsafeFast === true) await client.query('set synchronous_commit to off');
  return {
    insert: async (table, columns, rows) => {
      const perStatement = Math.floor(MAX_PG_PARAMETERS / columns.length);
      await client.query('begin');
      try {
        for (let start = 0; start < rows.length; start += perStatement) {
          const chunk = rows.slice(start, start + perStatement);
          await client.query({
            // One named (server-side prepared) statement per table and row count.
            name: `bare_${table}_${columns.length}_${chunk.length}`,
            text: multiRowInsert(table, columns, chunk.length),
            values: chunk.flat(),
          });
        }
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    },
    exec: async (statement) => {
      await client.query(statement);
    },
    close: () => client.end(),
  };
}

function multiRowInsert(table: string, columns: readonly string[], rows: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row += 1) {
    const base = row * columns.length;
    tuples.push(`(${columns.map((_, column) => `$${base + column + 1}`).join(', ')})`);
  }
  return `insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')}`;
}

/** camelCase row keys to the tables' snake_case columns. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);
}

/** A row object's values in the order of `keys` (camelCase), unset ones as NULL. */
export function valuesOf(row: object, keys: readonly string[]): unknown[] {
  const record = row as Record<string, unknown>;
  return keys.map((key) => record[key] ?? null);
}
