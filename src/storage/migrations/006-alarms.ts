import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * Alarms: conditions an operator must hear of (the first is a store that refuses writes),
 * kept for the notification system. An alarm is open while cleared_at is null; customer_id
 * names the customer account it concerns, or is null for the whole system.
 */
export function alarms(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('alarms'))
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('raised_at', 'bigint', (column) => column.notNull())
        .addColumn('cleared_at', 'bigint')
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('customer_id', 'integer', (column) => column.references('customer_accounts.id'))
        .execute();
      await db.schema
        .createIndex('alarms_by_state')
        .on('alarms')
        .columns(['cleared_at', 'raised_at'])
        .execute();
    },
  };
}
