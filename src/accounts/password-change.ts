import { recordAudit } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { invalidInput } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';

export interface PasswordOwner {
  kind: 'administrator' | 'portal';
  userName: string;
  passwordHash: string;
  customerId: number | null;
}

/**
 * Sets a person's new password after the policy check. The old password never works again,
 * which is what retires the factory default of the built-in administrator.
 */
export async function changePassword(
  store: Store,
  clock: Clock,
  owner: PasswordOwner,
  next: string,
  source: string,
): Promise<void> {
  checkPasswordPolicy(owner.userName, next);
  if (await verifyPassword(owner.passwordHash, next)) {
    throw invalidInput('the new password must differ from the current one');
  }
  const passwordHash = await hashPassword(next);
  const now = clock.now();

  await inTransaction(store, async (db) => {
    if (owner.kind === 'administrator') {
      await db
        .updateTable('administrators')
        .set({ passwordHash, mustChangePassword: 0, passwordChangedAt: now.getTime() })
        .where('userName', '=', owner.userName)
        .execute();
    } else {
      await db
        .updateTable('portalLogons')
        .set({ passwordHash, mustChangePassword: 0 })
        .where('userName', '=', owner.userName)
        .execute();
    }
    await recordAudit(db, now, {
      actor: owner.userName,
      source,
      action: 'password.change',
      target: owner.userName,
      customerId: owner.customerId,
      result: 'success',
    });
  });
}
