import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * Outbreak Containment Services over the appliance API: OCS events with their mapped malware
 * name (unique per product and appliance event id, so a batch sent again is stored once), the
 * operators' malware mapping entries (the shipped defaults live in code, so a new database stays
 * empty and restorable), the bursts that coalesce `ocs.triggered` events, and each product's
 * current network configuration.
 */
export function ocs(engine: Engine): Migration {
  const withId = idColumn(engine);
  const owned = <T extends string>(table: CreateTableBuilder<T, 'id'>) =>
    table
      .addColumn('customer_id', 'integer', (column) =>
        column.notNull().references('customer_accounts.id'),
      )
      .addColumn('product_id', 'integer', (column) =>
        column.notNull().references('registered_products.id'),
      );

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await owned(withId(db.schema.createTable('ocs_events')))
        .addColumn('event_id', 'text', (column) => column.notNull())
        .addColumn('occurred_at', 'bigint', (column) => column.notNull())
        .addColumn('received_at', 'bigint', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('source_ip', 'text', (column) => column.notNull())
        .addColumn('source_host', 'text')
        .addColumn('destination_ip', 'text')
        .addColumn('destination_port', 'integer')
        .addColumn('protocol', 'text')
        .addColumn('rule_id', 'text')
        .addColumn('rule_name', 'text')
        .addColumn('detection_name', 'text')
        .addColumn('content', 'text')
        .addColumn('file_name', 'text')
        .addColumn('url', 'text')
        .addColumn('malware_name', 'text')
        .execute();
      await db.schema
        .createIndex('ocs_events_by_product_event')
        .on('ocs_events')
        .columns(['product_id', 'event_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('ocs_events_by_customer')
        .on('ocs_events')
        .columns(['customer_id', 'received_at'])
        .execute();

      await withId(db.schema.createTable('malware_mappings'))
        .addColumn('customer_id', 'integer', (column) => column.references('customer_accounts.id'))
        .addColumn('pattern', 'text', (column) => column.notNull())
        .addColumn('malware_name', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('malware_mappings_by_customer')
        .on('malware_mappings')
        .column('customer_id')
        .execute();

      await owned(withId(db.schema.createTable('ocs_bursts')))
        .addColumn('source_key', 'text', (column) => column.notNull())
        .addColumn('appliance_event_id', 'integer', (column) =>
          column.notNull().references('appliance_events.id'),
        )
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('last_at', 'bigint', (column) => column.notNull())
        .addColumn('count', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('ocs_bursts_by_source')
        .on('ocs_bursts')
        .columns(['product_id', 'source_key'])
        .unique()
        .execute();

      await networkConfiguration(db, withId, owned);
    },
  };
}

async function networkConfiguration(
  db: Kysely<unknown>,
  withId: ReturnType<typeof idColumn>,
  owned: <T extends string>(table: CreateTableBuilder<T, 'id'>) => CreateTableBuilder<T, 'id'>,
): Promise<void> {
  await db.schema
    .createTable('network_configurations')
    .addColumn('product_id', 'integer', (column) =>
      column.primaryKey().references('registered_products.id'),
    )
    .addColumn('customer_id', 'integer', (column) =>
      column.notNull().references('customer_accounts.id'),
    )
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await owned(withId(db.schema.createTable('monitored_networks')))
    .addColumn('group_name', 'text', (column) => column.notNull())
    .addColumn('trust', 'text', (column) => column.notNull())
    .addColumn('cidr', 'text', (column) => column.notNull())
    .execute();
  await owned(withId(db.schema.createTable('registered_domains')))
    .addColumn('domain', 'text', (column) => column.notNull())
    .execute();
  await owned(withId(db.schema.createTable('registered_services')))
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('name', 'text')
    .addColumn('address', 'text', (column) => column.notNull())
    .addColumn('port', 'integer')
    .execute();
  for (const table of ['monitored_networks', 'registered_domains', 'registered_services']) {
    await db.schema.createIndex(`${table}_by_product`).on(table).column('product_id').execute();
  }
}
