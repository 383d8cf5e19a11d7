import type { Db } from '../storage/database.js';

/**
 * Ends every sign-on of these users at once: their CAS SSO sessions (so no new ticket is issued
 * from them, appliance TGTs included) and their console and portal sessions. Called in the
 * transaction that disables an account or resets a password, so the change takes effect at once.
 */
export async function endSessionsOfUsers(db: Db, userNames: string[], now: Date): Promise<void> {
  if (userNames.length === 0) return;
  await db
    .updateTable('ssoSessions')
    .set({ endedAt: now.getTime() })
    .where('userName', 'in', userNames)
    .where('endedAt', 'is', null)
    .execute();
  await db.deleteFrom('webSessions').where('userName', 'in', userNames).execute();
}

/** The portal logons and the registration user of a customer account. */
export async function userNamesOfCustomer(db: Db, customerId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('logonNames')
    .select('userName')
    .where('customerId', '=', customerId)
    .execute();
  return rows.map((row) => row.userName);
}
