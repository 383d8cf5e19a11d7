import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';

import type { Engine } from '../engine.js';
import { idColumn } from './columns.js';

/**
 * What ingestion makes of received files: detections, other events, quarantined lines, hourly
 * summaries, incidents and per-product counters. Log rows carry a plain 64-bit rowid key on
 * SQLite (no AUTOINCREMENT bookkeeping on the hot insert path) and a bigserial on PostgreSQL.
 */
export function ingest(engine: Engine): Migration {
  const withId = idColumn(engine);
  const withLogId = logIdColumn(engine);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('registered_products').addColumn('time_zone', 'text').execute();
      await db.schema.alterTable('received_files').addColumn('ingest_outcome', 'text').execute();
      await db.schema
        .alterTable('customer_counters')
        .addColumn('parse_warnings', 'bigint', (column) => column.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('received_files_pending')
        .on('received_files')
        .columns(['ingested_at', 'id'])
        .execute();

      await withLogId(db.schema.createTable('detections'))
        .$call(logColumns)
        .addColumn('severity', 'integer')
        .addColumn('detection_name', 'text')
        .addColumn('detection_type', 'text')
        .addColumn('threat_type', 'text')
        .addColumn('engine', 'text')
        .addColumn('direction', 'text')
        .addColumn('protocol', 'text')
        .addColumn('rule_id', 'text')
        .addColumn('action', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('source_host', 'text')
        .addColumn('destination_ip', 'text')
        .addColumn('destination_host', 'text')
        .addColumn('affected_host', 'text')
        .addColumn('url', 'text')
        .addColumn('file_name', 'text')
        .addColumn('file_sha256', 'text')
        .addColumn('vendor_fields', 'text', (column) => column.notNull())
        .addColumn('raw', 'text', (column) => column.notNull())
        .execute();
      await logIndexes(db, 'detections');

      await withLogId(db.schema.createTable('other_events'))
        .$call(logColumns)
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('severity', 'integer')
        .addColumn('name', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('destination_ip', 'text')
        .addColumn('application', 'text')
        .addColumn('url', 'text')
        .addColumn('url_category', 'text')
        .addColumn('action', 'text')
        .addColumn('vendor_fields', 'text', (column) => column.notNull())
        .addColumn('raw', 'text', (column) => column.notNull())
        .execute();
      await logIndexes(db, 'other_events');

      await withLogId(db.schema.createTable('quarantined_lines'))
        .addColumn('customer_id', 'integer', (column) => column.notNull())
        .addColumn('product_id', 'integer', (column) => column.notNull())
        .addColumn('received_file_id', 'integer', (column) => column.notNull())
        .addColumn('line_offset', 'bigint', (column) => column.notNull())
        .addColumn('receive_time', 'bigint', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('truncated', 'integer', (column) => column.notNull())
        .addColumn('line', 'text', (column) => column.notNull())
        .addColumn('raw_base64', 'text')
        .execute();
      await db.schema
        .createIndex('quarantined_lines_by_customer')
        .on('quarantined_lines')
        .columns(['customer_id', 'product_id', 'id'])
        .execute();
      await db.schema
        .createIndex('quarantined_lines_by_receipt')
        .on('quarantined_lines')
        .columns(['receive_time'])
        .execute();

      await withId(db.schema.createTable('hourly_summaries'))
        .addColumn('customer_id', 'integer', (column) => column.notNull())
        .addColumn('hour', 'bigint', (column) => column.notNull())
        .addColumn('dimension', 'text', (column) => column.notNull())
        .addColumn('value', 'text', (column) => column.notNull())
        .addColumn('count', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('hourly_summaries_key')
        .on('hourly_summaries')
        .columns(['customer_id', 'dimension', 'hour', 'value'])
        .unique()
        .execute();

      await withId(db.schema.createTable('incidents'))
        .addColumn('customer_id', 'integer', (column) => column.notNull())
        .addColumn('rule', 'text', (column) => column.notNull())
        .addColumn('threat', 'text', (column) => column.notNull())
        .addColumn('host', 'text', (column) => column.notNull())
        .addColumn('first_seen', 'bigint', (column) => column.notNull())
        .addColumn('last_seen', 'bigint', (column) => column.notNull())
        .addColumn('detections', 'bigint', (column) => column.notNull())
        .addColumn('severity', 'integer')
        .execute();
      await db.schema
        .createIndex('incidents_by_threat_host')
        .on('incidents')
        .columns(['customer_id', 'threat', 'host', 'last_seen'])
        .execute();
      await db.schema
        .createIndex('incidents_by_time')
        .on('incidents')
        .columns(['customer_id', 'first_seen'])
        .execute();

      await db.schema
        .createTable('product_counters')
        .addColumn('product_id', 'integer', (column) =>
          column.primaryKey().references('registered_products.id'),
        )
        .addColumn('customer_id', 'integer', (column) => column.notNull())
        .addColumn('lines_received', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('detections', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('other_events', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('quarantined', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('parse_warnings', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('purged', 'bigint', (column) => column.notNull().defaultTo(0))
        .execute();

      // Products registered before this migration have no counters row yet.
      await sql`insert into product_counters (product_id, customer_id)
        select id, customer_id from registered_products`.execute(db);
    },
  };
}

/** The columns every stored log line has: whose it is, where it came from, and when. */
function logColumns<T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T> {
  return table
    .addColumn('customer_id', 'integer', (column) => column.notNull())
    .addColumn('product_id', 'integer', (column) => column.notNull())
    .addColumn('received_file_id', 'integer', (column) => column.notNull())
    .addColumn('line_offset', 'bigint', (column) => column.notNull())
    .addColumn('event_time', 'bigint', (column) => column.notNull())
    .addColumn('receive_time', 'bigint', (column) => column.notNull())
    .addColumn('skew_seconds', 'integer')
    .addColumn('format', 'text', (column) => column.notNull())
    .addColumn('truncated', 'integer', (column) => column.notNull())
    .addColumn('warnings', 'text');
}

/** Searches run per customer by event time; retention purges by receive time. */
async function logIndexes(db: Kysely<unknown>, table: string): Promise<void> {
  await db.schema
    .createIndex(`${table}_by_customer_time`)
    .on(table)
    .columns(['customer_id', 'event_time'])
    .execute();
  await db.schema.createIndex(`${table}_by_receipt`).on(table).columns(['receive_time']).execute();
}

function logIdColumn(engine: Engine) {
  return <T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> =>
    engine === 'postgres'
      ? table.addColumn('id', 'bigserial', (column) => column.primaryKey())
      : table.addColumn('id', 'integer', (column) => column.primaryKey());
}
