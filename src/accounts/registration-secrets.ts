import { recordAudit } from '../audit/audit-log.js';
import { notFound } from '../shared/errors.js';
import { inTransaction } from '../storage/transaction.js';
import type { Actor, AccountsContext } from './customers.js';
import { findCustomer } from './customers.js';
import { checkRegistrationSecret } from './passwords.js';
import { endSessionsOfUsers } from './session-ending.js';

/**
 * Gives a customer account a new registration secret. The old one keeps working until the
 * grace period ends, so that a fleet of appliances can be moved over one by one.
 */
export async function rotateRegistrationSecret(
  context: AccountsContext,
  customerName: string,
  secret: string,
  graceHours: number,
  actor: Actor,
): Promise<Date> {
  checkRegistrationSecret(secret);
  const now = context.clock.now();
  const graceEnds = new Date(now.getTime() + graceHours * 3_600_000);

  await inTransaction(context.store, async (db) => {
    const customer = await findCustomer(db, customerName);
    const current = await db
      .selectFrom('registrationCredentials')
      .select(['secretCiphertext', 'userName'])
      .where('customerId', '=', customer.id)
      .executeTakeFirst();
    if (current === undefined) throw notFound(`registration credentials of "${customerName}"`);

    await db
      .updateTable('registrationCredentials')
      .set({
        secretCiphertext: context.secrets.seal(secret),
        previousSecretCiphertext: current.secretCiphertext,
        previousValidUntil: graceEnds.getTime(),
        updatedAt: now.getTime(),
      })
      .where('customerId', '=', customer.id)
      .execute();
    // Without a grace period the old secret is void at once, and so is every session it opened.
    if (graceHours === 0) await endSessionsOfUsers(db, [current.userName], now);
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'customer.rotate-secret',
      target: customer.name,
      customerId: customer.id,
      result: 'success',
      detail: { previousValidUntil: graceEnds.toISOString() },
    });
  });
  return graceEnds;
}
