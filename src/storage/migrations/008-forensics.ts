import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * Forensic data packages: uploads in progress (what was announced and how far it arrived, so
 * that an interrupted upload resumes) and the cases finished packages open. A case row exists
 * only once its file is complete, verified and renamed into place.
 */
export function forensics(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('forensic_uploads')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('product_id', 'integer', (column) =>
          column.notNull().references('registered_products.id'),
        )
        .addColumn('endpoint', 'text', (column) => column.notNull())
        .addColumn('file_name', 'text', (column) => column.notNull())
        .addColumn('declared_size', 'bigint', (column) => column.notNull())
        .addColumn('declared_sha256', 'text', (column) => column.notNull())
        .addColumn('received_bytes', 'bigint', (column) => column.notNull())
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('writer', 'text')
        .addColumn('writer_until', 'bigint')
        .execute();

      await withId(db.schema.createTable('forensic_cases'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('product_id', 'integer', (column) =>
          column.notNull().references('registered_products.id'),
        )
        .addColumn('endpoint', 'text', (column) => column.notNull())
        .addColumn('file_name', 'text', (column) => column.notNull())
        .addColumn('file_path', 'text', (column) => column.notNull())
        .addColumn('size', 'bigint', (column) => column.notNull())
        .addColumn('sha256', 'text', (column) => column.notNull())
        .addColumn('received_at', 'bigint', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('analyst_case_id', 'text')
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('upload_id', 'text', (column) => column.unique())
        .execute();
      await db.schema
        .createIndex('forensic_cases_by_customer')
        .on('forensic_cases')
        .columns(['customer_id', 'id'])
        .execute();
    },
  };
}
