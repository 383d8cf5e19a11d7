import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/** Customer accounts, identities, registered products, counters and the audit trail. */
export function foundation(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('customer_accounts'))
        .addColumn('name', 'text', (column) => column.notNull().unique())
        .addColumn('company', 'text')
        .addColumn('time_zone', 'text', (column) => column.notNull())
        .addColumn('language', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('disabled_at', 'bigint')
        .execute();

      await db.schema
        .createTable('registration_credentials')
        .addColumn('customer_id', 'integer', (column) =>
          column.primaryKey().references('customer_accounts.id'),
        )
        .addColumn('user_name', 'text', (column) => column.notNull().unique())
        .addColumn('secret_ciphertext', 'text', (column) => column.notNull())
        .addColumn('previous_secret_ciphertext', 'text')
        .addColumn('previous_valid_until', 'bigint')
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('logon_names')
        .addColumn('name_key', 'text', (column) => column.primaryKey())
        .addColumn('user_name', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('customer_id', 'integer', (column) => column.references('customer_accounts.id'))
        .execute();

      await withId(db.schema.createTable('administrators'))
        .addColumn('user_name', 'text', (column) => column.notNull().unique())
        .addColumn('password_hash', 'text', (column) => column.notNull())
        .addColumn('must_change_password', 'integer', (column) => column.notNull())
        .addColumn('built_in', 'integer', (column) => column.notNull())
        .addColumn('scope', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();

      await withId(db.schema.createTable('portal_logons'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('user_name', 'text', (column) => column.notNull().unique())
        .addColumn('password_hash', 'text', (column) => column.notNull())
        .addColumn('must_change_password', 'integer', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();

      await withId(db.schema.createTable('registered_products'))
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addColumn('guid', 'text', (column) => column.notNull().unique())
        .addColumn('type', 'text')
        .addColumn('host_name', 'text')
        .addColumn('ip_address', 'text')
        .addColumn('version', 'text')
        .addColumn('first_registered_at', 'bigint', (column) => column.notNull())
        .addColumn('last_heartbeat_at', 'bigint')
        .addColumn('last_log_received_at', 'bigint')
        .addColumn('offline_announced_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('registered_products_by_customer')
        .on('registered_products')
        .columns(['customer_id', 'guid'])
        .execute();

      await db.schema
        .createTable('customer_counters')
        .addColumn('customer_id', 'integer', (column) =>
          column.primaryKey().references('customer_accounts.id'),
        )
        .addColumn('lines_received', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('detections', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('other_events', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('quarantined', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('purged', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('incidents', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('cases', 'bigint', (column) => column.notNull().defaultTo(0))
        .execute();

      await withId(db.schema.createTable('audit_events'))
        .addColumn('at', 'bigint', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('target', 'text')
        .addColumn('customer_id', 'integer')
        .addColumn('result', 'text', (column) => column.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_events_by_time').on('audit_events').column('at').execute();
    },
  };
}
