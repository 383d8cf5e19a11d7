import type { Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * Single sign-on: SSO sessions and tickets live in the database so that several CAS processes
 * serve together (a ticket is consumed by one conditional update, handed case P12); logon
 * throttling is shared the same way; the console's and portal's own sessions are server-side.
 */
export function cas(engine: Engine): Migration {
  const withId = idColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sso_sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_name', 'text', (column) => column.notNull())
        .addColumn('principal_kind', 'text', (column) => column.notNull())
        .addColumn('customer_id', 'integer')
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('last_used_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('password_change_pending', 'integer', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('cas_tickets')
        .addColumn('ticket', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('service', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .addColumn('consumed_at', 'bigint')
        .addColumn('from_new_login', 'integer', (column) => column.notNull())
        .addColumn('proxy_chain', 'text', (column) => column.notNull())
        .addColumn('parent_ticket', 'text')
        .execute();
      await db.schema
        .createIndex('cas_tickets_by_session')
        .on('cas_tickets')
        .column('session_id')
        .execute();

      await withId(db.schema.createTable('cas_services'))
        .addColumn('url', 'text', (column) => column.notNull().unique())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('logon_throttle')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('failures', 'integer', (column) => column.notNull())
        .addColumn('window_started_at', 'bigint', (column) => column.notNull())
        .addColumn('locked_until', 'bigint')
        .execute();

      await db.schema
        .createTable('web_sessions')
        .addColumn('id_hash', 'text', (column) => column.primaryKey())
        .addColumn('server', 'text', (column) => column.notNull())
        .addColumn('ticket', 'text', (column) => column.notNull())
        .addColumn('user_name', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('customer_names', 'text', (column) => column.notNull())
        .addColumn('must_change_password', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('web_sessions_by_ticket')
        .on('web_sessions')
        .column('ticket')
        .execute();

      await withId(db.schema.createTable('administrator_customers'))
        .addColumn('administrator_id', 'integer', (column) =>
          column.notNull().references('administrators.id'),
        )
        .addColumn('customer_id', 'integer', (column) =>
          column.notNull().references('customer_accounts.id'),
        )
        .addUniqueConstraint('administrator_customers_pair', ['administrator_id', 'customer_id'])
        .execute();

      await db.schema
        .alterTable('administrators')
        .addColumn('totp_secret_ciphertext', 'text')
        .execute();
      await db.schema
        .alterTable('administrators')
        .addColumn('password_changed_at', 'bigint')
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('value', 'text', (column) => column.notNull())
        .execute();
    },
  };
}
