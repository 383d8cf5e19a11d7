import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * The status server's appliance API: bearer sessions opened with a CAS service ticket (only
 * the token's hash is kept), the latest heartbeat of each registered product with what the
 * appliance reported, and the appliance events (heartbeat lost, recovered) that notifications
 * read. last_event_state is the online state the latest event recorded, so that each change is
 * recorded once, whichever process or restart notices it.
 */
export function status(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('appliance_sessions')
        .addColumn('token_hash', 'text', (column) => column.primaryKey())
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('user_name', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('appliance_sessions_by_expiry')
        .on('appliance_sessions')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('product_heartbeats')
        .addColumn('product_id', 'integer', (column) =>
          column.primaryKey().references('registered_products.id'),
        )
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('received_at', 'bigint', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('appliance_time', 'bigint', (column) => column.notNull())
        .addColumn('clock_skew_seconds', 'bigint', (column) => column.notNull())
        .addColumn('security_compliance', 'integer')
        .addColumn('can_run_mitigation', 'integer')
        .addColumn('licence_expires_at', 'bigint')
        .addColumn('pattern_version', 'text')
        .addColumn('last_event_state', 'text', (column) => column.notNull())
        .execute();

      await withId(db.schema.createTable('appliance_events'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('product_id', 'integer', (column) =>
          column.notNull().references('registered_products.id'),
        )
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('at', 'bigint', (column) => column.notNull())
        .addColumn('detail', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('appliance_events_by_customer')
        .on('appliance_events')
        .columns(['customer_id', 'at'])
        .execute();
    },
  };
}
