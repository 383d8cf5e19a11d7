import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BUILT_IN_ADMINISTRATOR,
  ensureBuiltInAdministrator,
  firstLogonPending,
} from '../../src/accounts/administrators.js';
import { addCustomer } from '../../src/accounts/customers.js';
import { FACTORY_ADMIN_PASSWORD, verifyPassword } from '../../src/accounts/passwords.js';
import { fixedClock } from '../../src/shared/clock.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore, type ScratchDatabase } from '../support/databases.js';
import { ACTOR, T0, accountsContext, everyRow, newCustomer } from './accounts-helpers.js';

describe.each(ENGINES)('the built-in administrator on %s', (engine) => {
  let store: Store;
  let database: ScratchDatabase;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let clock: ReturnType<typeof fixedClock>;

  beforeEach(async () => {
    clock = fixedClock(T0);
    scratch = await scratchStore(engine);
    ({ store, database } = scratch);
  });
  afterEach(async () => {
    await scratch.close();
  });

  const administrators = () => store.db.selectFrom('administrators').selectAll().execute();

  it('is created on first start with the factory password, to be changed', async () => {
    expect(await firstLogonPending(store)).toBe(false);
    await ensureBuiltInAdministrator(store, clock);

    const [admin, ...others] = await administrators();
    expect(others).toEqual([]);
    expect(admin).toMatchObject({
      userName: BUILT_IN_ADMINISTRATOR,
      mustChangePassword: 1,
      builtIn: 1,
      scope: 'all',
      status: 'active',
      createdAt: T0.getTime(),
    });
    expect(admin?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(admin!.passwordHash, FACTORY_ADMIN_PASSWORD)).toBe(true);
    expect(await firstLogonPending(store)).toBe(true);
  });

  it('claims the name admin for the administrator kind', async () => {
    await ensureBuiltInAdministrator(store, clock);
    const names = await store.db.selectFrom('logonNames').selectAll().execute();
    expect(names).toEqual([
      { nameKey: 'admin', userName: 'admin', kind: 'administrator', customerId: null },
    ]);
  });

  it('keeps the existing administrator when run again', async () => {
    await ensureBuiltInAdministrator(store, clock);
    const before = await everyRow(store);
    clock.advance(60_000);
    await ensureBuiltInAdministrator(store, clock);
    expect(await everyRow(store)).toEqual(before);
  });

  it('creates one administrator when several starts run at once', async () => {
    await Promise.all(Array.from({ length: 5 }, () => ensureBuiltInAdministrator(store, clock)));
    expect(await administrators()).toHaveLength(1);
    const names = await store.db.selectFrom('logonNames').select('nameKey').execute();
    expect(names).toEqual([{ nameKey: 'admin' }]);
  });

  it.runIf(engine === 'postgres')(
    'creates one administrator when two processes start on one database at once',
    async () => {
      const other = await openStore({ url: database.url, sqliteFile: database.sqliteFile });
      try {
        await Promise.all([
          ensureBuiltInAdministrator(store, clock),
          ensureBuiltInAdministrator(other, clock),
          ensureBuiltInAdministrator(other, clock),
        ]);
      } finally {
        await other.close();
      }
      expect(await administrators()).toHaveLength(1);
    },
  );

  it('no longer reports a first logon once the password was changed', async () => {
    await ensureBuiltInAdministrator(store, clock);
    await store.db.updateTable('administrators').set({ mustChangePassword: 0 }).execute();
    expect(await firstLogonPending(store)).toBe(false);
    await ensureBuiltInAdministrator(store, clock);
    expect(await firstLogonPending(store)).toBe(false);
  });

  it('never takes over the name admin when another kind holds it, and says so', async () => {
    const context = accountsContext(store);
    const customer = await addCustomer(
      context,
      newCustomer('acme', { registrationUser: 'Admin' }),
      ACTOR,
    );
    await expect(ensureBuiltInAdministrator(store, clock)).rejects.toMatchObject({
      code: 'startup_failed',
      message: expect.stringContaining('held by a registration identity'),
    });
    const names = await store.db.selectFrom('logonNames').selectAll().execute();
    expect(names).toEqual([
      { nameKey: 'admin', userName: 'Admin', kind: 'registration', customerId: customer.id },
    ]);
  });
});
