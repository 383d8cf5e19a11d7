import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Store } from '../../src/storage/database.js';
import { isUniqueViolation } from '../../src/storage/errors.js';
import { inReadSnapshot, inTransaction } from '../../src/storage/transaction.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { countRows } from './storage-helpers.js';

const customer = (name: string) => ({
  name,
  company: null,
  timeZone: 'UTC',
  language: 'en',
  status: 'active' as const,
  createdAt: 1_700_000_000_000,
  disabledAt: null,
});

/** What a failing statement throws, for the error classifiers. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the statement did not fail');
}

describe.each(ENGINES)('transactions on %s', (engine) => {
  let store: Store;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
  });
  afterEach(async () => {
    await scratch.close();
  });

  it('commits every statement and returns the result', async () => {
    const id = await inTransaction(store, async (db) => {
      const row = await db
        .insertInto('customerAccounts')
        .values(customer('acme'))
        .returning('id')
        .executeTakeFirstOrThrow();
      await db.insertInto('settings').values({ key: 'k', value: 'v' }).execute();
      return row.id;
    });
    expect(typeof id).toBe('number');
    expect(await countRows(store.raw, 'customer_accounts')).toBe(1);
    expect(await countRows(store.raw, 'settings')).toBe(1);
  });

  it('rolls back every statement and rethrows the same error when fn throws', async () => {
    const failure = new Error('stop here');
    await expect(
      inTransaction(store, async (db) => {
        await db.insertInto('customerAccounts').values(customer('acme')).execute();
        await db.insertInto('settings').values({ key: 'k', value: 'v' }).execute();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await countRows(store.raw, 'customer_accounts')).toBe(0);
    expect(await countRows(store.raw, 'settings')).toBe(0);
  });

  it('rolls back when a later statement fails, and the store stays usable', async () => {
    await expect(
      inTransaction(store, async (db) => {
        await db.insertInto('customerAccounts').values(customer('acme')).execute();
        await db.insertInto('customerAccounts').values(customer('acme')).execute();
      }),
    ).rejects.toSatisfy(isUniqueViolation);
    expect(await countRows(store.raw, 'customer_accounts')).toBe(0);

    await inTransaction(store, (db) =>
      db.insertInto('customerAccounts').values(customer('acme')).execute(),
    );
    expect(await countRows(store.raw, 'customer_accounts')).toBe(1);
  });

  it('runs concurrent transactions one after another without losing a write', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `c${i}`);
    await Promise.all(
      names.map((name) =>
        inTransaction(store, async (db) => {
          await db.insertInto('customerAccounts').values(customer(name)).execute();
        }),
      ),
    );
    expect(await countRows(store.raw, 'customer_accounts')).toBe(names.length);
  });

  it('reads one consistent snapshot and returns its result', async () => {
    await store.db.insertInto('customerAccounts').values(customer('acme')).execute();
    const seen = await inReadSnapshot(store, async (db) => {
      const first = await countRows(db, 'customer_accounts');
      const second = await countRows(db, 'customer_accounts');
      return [first, second];
    });
    expect(seen).toEqual([1, 1]);
  });

  it.runIf(engine === 'postgres')('does not see writes committed during the snapshot', async () => {
    await store.db.insertInto('customerAccounts').values(customer('acme')).execute();
    const seen = await inReadSnapshot(store, async (db) => {
      const before = await countRows(db, 'customer_accounts');
      await store.db.insertInto('customerAccounts').values(customer('globex')).execute();
      return [before, await countRows(db, 'customer_accounts')];
    });
    expect(seen).toEqual([1, 1]);
    expect(await countRows(store.raw, 'customer_accounts')).toBe(2);
  });

  it('recognises a broken unique constraint as a unique violation', async () => {
    await store.db.insertInto('customerAccounts').values(customer('acme')).execute();
    const error = await errorOf(() =>
      store.db.insertInto('customerAccounts').values(customer('acme')).execute(),
    );
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('recognises a broken primary key as a unique violation', async () => {
    await store.db.insertInto('settings').values({ key: 'k', value: 'a' }).execute();
    const error = await errorOf(() =>
      store.db.insertInto('settings').values({ key: 'k', value: 'b' }).execute(),
    );
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('does not take other constraint errors for unique violations', async () => {
    const notNull = await errorOf(() =>
      sql`insert into settings (key, value) values ('k', null)`.execute(store.raw),
    );
    const foreignKey = await errorOf(() =>
      sql`insert into customer_counters (customer_id) values (4242)`.execute(store.raw),
    );
    const syntax = await errorOf(() => sql`select from nowhere at all`.execute(store.raw));
    expect([notNull, foreignKey, syntax].map(isUniqueViolation)).toEqual([false, false, false]);
  });
});

describe('isUniqueViolation', () => {
  it.each([
    ['PostgreSQL 23505', { code: '23505' }, true],
    ['SQLite unique', { code: 'SQLITE_CONSTRAINT_UNIQUE' }, true],
    ['SQLite primary key', { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, true],
    ['PostgreSQL foreign key 23503', { code: '23503' }, false],
    ['SQLite not null', { code: 'SQLITE_CONSTRAINT_NOTNULL' }, false],
    ['a plain Error', new Error('23505'), false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['a string', '23505', false],
  ])('classifies %s', (_label, error, expected) => {
    expect(isUniqueViolation(error)).toBe(expected);
  });
});
