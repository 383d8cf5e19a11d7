import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openStore, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { migrations } from '../../src/storage/migrations/index.js';
import { BACKUP_TABLES, DATA_TABLES, SERIAL_TABLES } from '../../src/storage/tables.js';
import { ENGINES, scratchDatabase, scratchStore } from '../support/databases.js';
import {
  foreignKeyTargets,
  primaryKey,
  schemaFingerprint,
  tablesInDatabase,
} from './storage-helpers.js';

describe.each(ENGINES)('migrations on %s', (engine) => {
  let store: Store;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
  });
  afterEach(async () => {
    await scratch.close();
  });

  it('records every migration once, in order', async () => {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration
      order by name`.execute(store.raw);
    expect(rows.map((row) => row.name)).toEqual(Object.keys(migrations(engine)));
  });

  it('does nothing when run again', async () => {
    const before = await schemaFingerprint(store);
    expect(await migrateToLatest(store)).toEqual([]);
    expect(await migrateToLatest(store)).toEqual([]);
    expect(await schemaFingerprint(store)).toBe(before);
  });

  it('keeps rows when run again', async () => {
    await sql`insert into settings (key, value) values ('k', 'v')`.execute(store.raw);
    await migrateToLatest(store);
    const { rows } = await sql<{ value: string }>`select value from settings`.execute(store.raw);
    expect(rows).toEqual([{ value: 'v' }]);
  });

  it('lists every table of the database in DATA_TABLES, and nothing else', async () => {
    const listed = DATA_TABLES.map((table) => table.name).sort();
    expect(await tablesInDatabase(store)).toEqual(listed);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("orders DATA_TABLES so that a table's references come before it", async () => {
    const position = new Map(DATA_TABLES.map((table, index) => [table.name, index]));
    for (const [index, table] of DATA_TABLES.entries()) {
      for (const target of await foreignKeyTargets(store, table.name)) {
        expect({ table: table.name, target, before: (position.get(target) ?? 99) < index }).toEqual(
          { table: table.name, target, before: true },
        );
      }
    }
  });

  it('orders every table by its primary key, so that backups can page through it', async () => {
    for (const table of DATA_TABLES) {
      expect({ table: table.name, key: await primaryKey(store, table.name) }).toEqual({
        table: table.name,
        key: [table.key],
      });
    }
  });

  it('backs up every table except the sign-on state', () => {
    const ephemeral = DATA_TABLES.filter((table) => table.ephemeral === true);
    expect(ephemeral.map((table) => table.name).sort()).toEqual(
      [
        'appliance_sessions',
        'cas_tickets',
        'forensic_uploads',
        'logon_throttle',
        'sso_sessions',
        'web_sessions',
      ].sort(),
    );
    expect(BACKUP_TABLES).toHaveLength(DATA_TABLES.length - ephemeral.length);
  });

  it.runIf(engine === 'postgres')(
    'names in SERIAL_TABLES exactly the backed-up tables that have a sequence',
    async () => {
      const withSequence: string[] = [];
      for (const table of BACKUP_TABLES) {
        const { rows } = await sql<{ sequence: string | null }>`select
          pg_get_serial_sequence(${table.name}, 'id') as sequence`
          .execute(store.raw)
          .catch(() => ({ rows: [{ sequence: null }] }));
        if (rows[0]?.sequence) withSequence.push(table.name);
      }
      expect([...SERIAL_TABLES].sort()).toEqual(withSequence.sort());
    },
  );
});

describe.runIf(ENGINES.includes('postgres'))('migrations from several processes', () => {
  it('bring one PostgreSQL database up to date from two stores at once', async () => {
    const database = await scratchDatabase('postgres');
    const location = { url: database.url, sqliteFile: database.sqliteFile };
    const stores = [await openStore(location), await openStore(location)];
    try {
      const applied = await Promise.all(stores.map((store) => migrateToLatest(store)));
      expect(applied.flat().sort()).toEqual(Object.keys(migrations('postgres')).sort());
      expect(await tablesInDatabase(stores[0]!)).toEqual(
        DATA_TABLES.map((table) => table.name).sort(),
      );
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    }
  });
});
