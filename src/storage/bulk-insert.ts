import type SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';

import type { Engine } from './engine.js';

/**
 * A multi-row INSERT for the ingest hot path, built once per table and row count and handed to
 * the driver as it is: the query builder's per-value parsing and compiling cost more than the
 * insert itself at tens of thousands of rows a second. On SQLite the statements are prepared
 * once per connection and kept.
 */
export class BulkInsert<Row> {
  readonly #statements = new Map<number, string>();
  readonly #prepared = new WeakMap<
    SqliteDatabase.Database,
    Map<number, SqliteDatabase.Statement>
  >();
  readonly #keys: ReadonlyArray<keyof Row>;
  readonly #columns: string;

  /**
   * `columns` pairs each row key with its snake_case column. Every key a row may carry must be
   * listed: a missing one would silently not be stored.
   */
  constructor(
    private readonly engine: Engine,
    private readonly table: string,
    columns: ReadonlyArray<readonly [keyof Row, string]>,
    private readonly rowsPerStatement = 500,
  ) {
    this.#keys = columns.map(([key]) => key);
    this.#columns = columns.map(([, column]) => column).join(', ');
  }

  /**
   * Inserts the rows on `db`, which may be a transaction; `sqlite` is the connection under it
   * when the engine is SQLite.
   */
  async insert(
    db: Kysely<unknown>,
    sqlite: SqliteDatabase.Database | null,
    rows: readonly Row[],
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += this.rowsPerStatement) {
      const slice = rows.slice(start, start + this.rowsPerStatement);
      const parameters: unknown[] = [];
      for (const row of slice) {
        for (const key of this.#keys) parameters.push(row[key] ?? null);
      }
      if (sqlite === null) {
        await db.executeQuery(CompiledQuery.raw(this.#statement(slice.length), parameters));
      } else {
        this.#preparedFor(sqlite, slice.length).run(parameters);
      }
    }
  }

  #preparedFor(sqlite: SqliteDatabase.Database, rowCount: number): SqliteDatabase.Statement {
    let statements = this.#prepared.get(sqlite);
    if (statements === undefined) {
      statements = new Map();
      this.#prepared.set(sqlite, statements);
    }
    let statement = statements.get(rowCount);
    if (statement === undefined) {
      statement = sqlite.prepare(this.#statement(rowCount));
      // Every row count of a batch's tail is kept too: there are at most rowsPerStatement.
      statements.set(rowCount, statement);
    }
    return statement;
  }

  #statement(rowCount: number): string {
    const known = this.#statements.get(rowCount);
    if (known !== undefined) return known;
    const width = this.#keys.length;
    const tuples: string[] = [];
    for (let row = 0; row < rowCount; row += 1) {
      const marks: string[] = [];
      for (let column = 0; column < width; column += 1) {
        marks.push(this.engine === 'postgres' ? `$${row * width + column + 1}` : '?');
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    const statement = `insert into ${this.table} (${this.#columns}) values ${tuples.join(', ')}`;
    // Full batches reuse one text; a batch's odd tail is built each time and not kept.
    if (rowCount === this.rowsPerStatement) this.#statements.set(rowCount, statement);
    return statement;
  }
}
