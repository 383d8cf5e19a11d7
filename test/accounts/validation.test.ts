import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ensureBuiltInAdministrator } from '../../src/accounts/administrators.js';
import { addCustomer, type NewCustomer } from '../../src/accounts/customers.js';
import { AppError, type ErrorCode } from '../../src/shared/errors.js';
import type { Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { ACTOR, accountsContext, everyRow, newCustomer } from './accounts-helpers.js';

const INVALID: Array<[string, Partial<NewCustomer>]> = [
  ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }],
  ['an empty time zone', { timeZone: '' }],
  ['a UTC offset instead of a zone name', { timeZone: '+01:00' }],
  ['a 7-character registration secret', { registrationSecret: 'Short-7' }],
  ['a 129-character registration secret', { registrationSecret: 'x'.repeat(129) }],
  ['a registration secret with a space', { registrationSecret: 'Fleet Secret 77' }],
  ['a registration secret with non-ASCII', { registrationSecret: 'Flöet-Secret-77' }],
  ['an empty customer name', { name: '' }],
  ['a customer name with a space', { name: 'acme corp' }],
  ['a customer name starting with a dot', { name: '.acme' }],
  ['a 65-character customer name', { name: 'a'.repeat(65) }],
  ['a customer name with a slash', { name: 'acme/../x' }],
  ['a registration user with a space', { registrationUser: 'acme fleet' }],
  ['a registration user starting with -', { registrationUser: '-fleet' }],
  ['a 65-character registration user', { registrationUser: 'u'.repeat(65) }],
  ['a portal user without a password', { portalUser: 'acme-portal' }],
  ['a portal password without a user', { portalPassword: 'Blue-Harbour-42' }],
  ['a 9-character portal password', { portalUser: 'p1', portalPassword: 'Blue-Ha42' }],
  ['a 257-character portal password', { portalUser: 'p1', portalPassword: 'aB3-'.repeat(65) }],
  ['a common portal password', { portalUser: 'p1', portalPassword: 'Password12' }],
  [
    'a portal password holding the user',
    { portalUser: 'Harbour', portalPassword: 'blue-harbour-42' },
  ],
  ['a portal password of 3 characters', { portalUser: 'p1', portalPassword: 'abcabcabcabc' }],
  ['an invalid portal user', { portalUser: 'acme portal', portalPassword: 'Blue-Harbour-42' }],
];

describe.each(ENGINES)('customer account checks on %s', (engine) => {
  let store: Store;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let context: ReturnType<typeof accountsContext>;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    context = accountsContext(store);
  });
  afterEach(async () => {
    await scratch.close();
  });

  /** Asserts that adding fails with the code and that not one row changed anywhere. */
  async function refused(input: NewCustomer, code: ErrorCode): Promise<AppError> {
    const before = await everyRow(store);
    let caught: unknown;
    await addCustomer(context, input, ACTOR).catch((error: unknown) => (caught = error));
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe(code);
    expect(await everyRow(store)).toEqual(before);
    return caught as AppError;
  }

  it.each(INVALID)('refuses %s as invalid input and writes nothing', async (_label, change) => {
    const error = await refused(newCustomer('acme', change), 'invalid_input');
    expect(error.expose).toBe(true);
    expect(error.message).not.toContain('\n');
    for (const secret of [change.registrationSecret, change.portalPassword]) {
      if (secret !== undefined && secret.length > 0) expect(error.message).not.toContain(secret);
    }
  });

  it('refuses a second account of the same name as a conflict', async () => {
    await addCustomer(context, newCustomer('acme'), ACTOR);
    const error = await refused(
      newCustomer('acme', { registrationUser: 'other-fleet' }),
      'conflict',
    );
    expect(error.message).toBe('customer account "acme" already exists');
  });

  it('refuses a registration user that is already a portal user, in any case', async () => {
    await addCustomer(
      context,
      newCustomer('acme', { portalUser: 'Shared.Name', portalPassword: 'Blue-Harbour-42' }),
      ACTOR,
    );
    const error = await refused(
      newCustomer('globex', { registrationUser: 'shared.NAME' }),
      'conflict',
    );
    expect(error.message).toBe('user name "shared.NAME" is already in use');
  });

  it('refuses a portal user that is already a registration user, in any case', async () => {
    await addCustomer(context, newCustomer('acme', { registrationUser: 'fleet@acme' }), ACTOR);
    await refused(
      newCustomer('globex', { portalUser: 'FLEET@ACME', portalPassword: 'Blue-Harbour-42' }),
      'conflict',
    );
  });

  it("refuses a portal user equal to the same account's registration user", async () => {
    await refused(
      newCustomer('acme', {
        registrationUser: 'acme-user',
        portalUser: 'Acme-User',
        portalPassword: 'Blue-Harbour-42',
      }),
      'conflict',
    );
  });

  it('refuses the built-in administrator name for registration and portal users', async () => {
    await ensureBuiltInAdministrator(store, context.clock);
    await refused(newCustomer('acme', { registrationUser: 'Admin' }), 'conflict');
    await refused(
      newCustomer('acme', { portalUser: 'ADMIN', portalPassword: 'Blue-Harbour-42' }),
      'conflict',
    );
  });

  it('lets exactly one of several concurrent adds of the same name succeed', async () => {
    const attempts = Array.from({ length: 6 }, (_, i) =>
      addCustomer(context, newCustomer('acme', { registrationUser: `fleet-${i}` }), ACTOR),
    );
    const outcomes = await Promise.allSettled(attempts);
    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const failed = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
    );
    expect(succeeded).toHaveLength(1);
    expect(failed).toHaveLength(5);
    for (const reason of failed) expect(reason).toMatchObject({ code: 'conflict' });

    const rows = await everyRow(store);
    expect(rows['customer_accounts']).toHaveLength(1);
    expect(rows['registration_credentials']).toHaveLength(1);
    expect(rows['logon_names']).toHaveLength(1);
    expect(rows['customer_counters']).toHaveLength(1);
    expect(rows['audit_events']).toHaveLength(1);
  });

  it('lets exactly one of several concurrent claims of one user name succeed', async () => {
    const outcomes = await Promise.allSettled(
      ['a1', 'a2', 'a3', 'a4'].map((name, i) =>
        addCustomer(
          context,
          newCustomer(name, { registrationUser: i % 2 ? 'Fleet' : 'fleet' }),
          ACTOR,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'conflict' });
    }
    const rows = await everyRow(store);
    expect(rows['customer_accounts']).toHaveLength(1);
    expect(rows['logon_names']).toHaveLength(1);
  });
});
