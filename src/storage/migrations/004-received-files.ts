import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * One row per file the log server received complete and verified. A file pushed again (grown,
 * truncated, replaced) gets a row of its own; ingestion compares it with the latest earlier row
 * of the same name, found through the index. What ingestion has read of a file (its length and
 * the hash of that prefix) is kept on the row and committed together with the records it made,
 * so that no event is stored twice or lost.
 */
export function receivedFiles(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('received_files'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('product_id', 'integer', (column) =>
          column.notNull().references('registered_products.id'),
        )
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('size', 'bigint', (column) => column.notNull())
        .addColumn('sha256', 'text', (column) => column.notNull())
        .addColumn('mtime', 'bigint', (column) => column.notNull())
        .addColumn('received_at', 'bigint', (column) => column.notNull())
        .addColumn('ingested_length', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('ingested_sha256', 'text')
        .addColumn('ingested_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('received_files_by_product_name')
        .on('received_files')
        .columns(['product_id', 'name', 'received_at'])
        .execute();
    },
  };
}
