import type { CreateTableBuilder } from 'kysely';

import type { Engine } from '../engine.js';

/** Adds a generated integer primary key `id`, spelled the way each engine wants it. */
export function idColumn(engine: Engine) {
  return <T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> =>
    engine === 'postgres'
      ? table.addColumn('id', 'serial', (column) => column.primaryKey())
      : table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
}
