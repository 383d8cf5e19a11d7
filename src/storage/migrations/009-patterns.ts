import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * Custom patterns and their deployments. A deployment is unique per (pattern, appliance), so
 * that a deploy request that arrives twice (a double click, P13) makes one row whichever
 * process handles it; the sweeper finds unconfirmed deployments by state and notification time.
 */
export function patterns(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('patterns'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('version', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('size', 'bigint', (column) => column.notNull())
        .addColumn('sha256', 'text', (column) => column.notNull())
        .addColumn('uploaded_at', 'bigint', (column) => column.notNull())
        .addColumn('uploaded_by', 'text', (column) => column.notNull())
        .addColumn('retired_at', 'bigint')
        .addUniqueConstraint('patterns_version_per_customer', ['customer_id', 'version'])
        .execute();

      await withId(db.schema.createTable('pattern_deployments'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('pattern_id', 'integer', (column) => column.notNull().references('patterns.id'))
        .addColumn('product_id', 'integer', (column) =>
          column.notNull().references('registered_products.id'),
        )
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('notified_at', 'bigint', (column) => column.notNull())
        .addColumn('downloaded_at', 'bigint')
        .addColumn('reported_at', 'bigint')
        .addColumn('deployed_at', 'bigint')
        .addColumn('failed_at', 'bigint')
        .addColumn('retrying', 'integer', (column) => column.notNull())
        .addColumn('failure', 'text')
        .addColumn('endpoint', 'text')
        .addUniqueConstraint('pattern_deployments_once', ['pattern_id', 'product_id'])
        .execute();
      await db.schema
        .createIndex('pattern_deployments_by_state')
        .on('pattern_deployments')
        .columns(['state', 'notified_at'])
        .execute();
      await db.schema
        .createIndex('pattern_deployments_by_product')
        .on('pattern_deployments')
        .columns(['product_id', 'state'])
        .execute();
    },
  };
}
