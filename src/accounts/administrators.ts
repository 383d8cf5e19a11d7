import type { Clock } from '../shared/clock.js';
import { AppError, isAppError, notFound } from '../shared/errors.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from './customers.js';
import type { Store } from '../storage/database.js';
import { isUniqueViolation } from '../storage/errors.js';
import { inTransaction } from '../storage/transaction.js';
import { claimLogonName } from './names.js';
import { endSessionsOfUsers } from './session-ending.js';
import {
  checkPasswordPolicy,
  FACTORY_ADMIN_PASSWORD,
  hashPassword,
  verifyPassword,
} from './passwords.js';

export const BUILT_IN_ADMINISTRATOR = 'admin';

/**
 * Creates the built-in administrator on first start, with the factory password that the console
 * makes them change before anything else. Safe when several processes start at once.
 */
export async function ensureBuiltInAdministrator(store: Store, clock: Clock): Promise<void> {
  const existing = await store.db
    .selectFrom('administrators')
    .select('id')
    .where('builtIn', '=', 1)
    .executeTakeFirst();
  if (existing !== undefined) return;

  const passwordHash = await hashPassword(FACTORY_ADMIN_PASSWORD);
  try {
    await inTransaction(store, async (db) => {
      await claimLogonName(db, BUILT_IN_ADMINISTRATOR, 'administrator', null);
      await db
        .insertInto('administrators')
        .values({
          userName: BUILT_IN_ADMINISTRATOR,
          passwordHash,
          mustChangePassword: 1,
          builtIn: 1,
          scope: 'all',
          status: 'active',
          createdAt: clock.now().getTime(),
        })
        .execute();
    });
  } catch (error) {
    const taken = isUniqueViolation(error) || (isAppError(error) && error.code === 'conflict');
    if (!taken) throw error;
    // Another process created it first, unless the name went to another kind of identity.
    const owner = await store.db
      .selectFrom('logonNames')
      .select('kind')
      .where('nameKey', '=', BUILT_IN_ADMINISTRATOR)
      .executeTakeFirst();
    if (owner?.kind !== 'administrator') {
      throw new AppError(
        'startup_failed',
        `the user name "${BUILT_IN_ADMINISTRATOR}" is held by a ` +
          `${owner?.kind ?? 'missing'} identity`,
      );
    }
  }
}

/** Whether the built-in administrator still has the factory password (first logon pending). */
export async function firstLogonPending(store: Store): Promise<boolean> {
  const admin = await store.db
    .selectFrom('administrators')
    .select(['mustChangePassword', 'passwordHash'])
    .where('builtIn', '=', 1)
    .executeTakeFirst();
  if (admin?.mustChangePassword !== 1) return false;
  // A reset password must be changed too, but it is not the factory one to announce.
  return verifyPassword(admin.passwordHash, FACTORY_ADMIN_PASSWORD);
}

/**
 * Sets an administrator's password from the command line (a forgotten password, a locked-out
 * built-in admin). The new password must be changed at the next logon, and every SSO session
 * of the administrator ends.
 */
export async function resetAdministratorPassword(
  store: Store,
  clock: Clock,
  userName: string,
  password: string,
  actor: Actor,
): Promise<void> {
  checkPasswordPolicy(userName, password);
  const passwordHash = await hashPassword(password);
  const now = clock.now();

  await inTransaction(store, async (db) => {
    const updated = await db
      .updateTable('administrators')
      .set({ passwordHash, mustChangePassword: 1 })
      .where('userName', '=', userName)
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) throw notFound(`administrator "${userName}"`);
    await endSessionsOfUsers(db, [userName], now);
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'administrator.reset-password',
      target: userName,
      result: 'success',
    });
  });
}
