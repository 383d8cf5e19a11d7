import { recordAudit } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { invalidInput } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { findCustomer, type Actor } from './customers.js';
import { claimLogonName } from './names.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';

export interface NewAdministrator {
  userName: string;
  password: string;
  /** 'all', or the names of the customer accounts this administrator may see and manage. */
  customers: 'all' | string[];
}

/**
 * Adds an administrator. One with assigned customer accounts sees and manages only those; the
 * password was chosen by someone else, so it must be changed at the first logon.
 */
export async function addAdministrator(
  store: Store,
  clock: Clock,
  input: NewAdministrator,
  actor: Actor,
): Promise<void> {
  checkPasswordPolicy(input.userName, input.password);
  if (input.customers !== 'all' && input.customers.length === 0) {
    throw invalidInput('an administrator needs all customer accounts or at least one assigned');
  }
  const passwordHash = await hashPassword(input.password);
  const now = clock.now();

  await inTransaction(store, async (db) => {
    await claimLogonName(db, input.userName, 'administrator', null);
    const admin = await db
      .insertInto('administrators')
      .values({
        userName: input.userName,
        passwordHash,
        mustChangePassword: 1,
        builtIn: 0,
        scope: input.customers === 'all' ? 'all' : 'assigned',
        status: 'active',
        createdAt: now.getTime(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const name of input.customers === 'all' ? [] : input.customers) {
      const customer = await findCustomer(db, name);
      await db
        .insertInto('administratorCustomers')
        .values({ administratorId: admin.id, customerId: customer.id })
        .execute();
    }
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'administrator.add',
      target: input.userName,
      result: 'success',
      detail: { customers: input.customers },
    });
  });
}
