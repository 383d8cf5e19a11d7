import { sql, type Kysely } from 'kysely';

import type { Store } from '../../src/storage/database.js';

/** Every table in the database except the migrator's own and SQLite's internal ones. */
export async function tablesInDatabase(store: Store): Promise<string[]> {
  const query =
    store.engine === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite\\_%' escape '\\'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  const { rows } = await query.execute(store.raw);
  return rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('kysely_migration'))
    .sort();
}

/** The tables each table's foreign keys point at. */
export async function foreignKeyTargets(store: Store, table: string): Promise<string[]> {
  if (store.engine === 'sqlite') {
    const { rows } = await sql<{ table: string }>`select "table" from
      pragma_foreign_key_list(${table})`.execute(store.raw);
    return rows.map((row) => row.table);
  }
  const { rows } = await sql<{ target: string }>`select distinct ccu.table_name as target
    from information_schema.table_constraints tc
    join information_schema.constraint_column_usage ccu
      on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
    where tc.constraint_type = 'FOREIGN KEY' and tc.table_name = ${table}
      and tc.table_schema = current_schema()`.execute(store.raw);
  return rows.map((row) => row.target);
}

/** A short description of the whole schema, to compare before and after. */
export async function schemaFingerprint(store: Store): Promise<string> {
  const query =
    store.engine === 'sqlite'
      ? sql<{ line: string }>`select type || ' ' || name || ' ' || coalesce(sql, '') as line
          from sqlite_master order by type, name`
      : sql<{ line: string }>`select table_name || '.' || column_name || ' ' || data_type as line
          from information_schema.columns where table_schema = current_schema()
          order by table_name, column_name`;
  const { rows } = await query.execute(store.raw);
  return rows.map((row) => row.line).join('\n');
}

export async function countRows(db: Kysely<unknown>, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n
    from ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** The primary-key columns of a table. */
export async function primaryKey(store: Store, table: string): Promise<string[]> {
  if (store.engine === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})
      where pk > 0 order by pk`.execute(store.raw);
    return rows.map((row) => row.name);
  }
  const { rows } = await sql<{ name: string }>`select kcu.column_name as name
    from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
    where tc.constraint_type = 'PRIMARY KEY' and tc.table_name = ${table}
      and tc.table_schema = current_schema()
    order by kcu.ordinal_position`.execute(store.raw);
  return rows.map((row) => row.name);
}
