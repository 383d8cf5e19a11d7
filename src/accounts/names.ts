import type { Db } from '../storage/database.js';
import type { LogonKind } from '../storage/schema.js';
import { conflict, invalidInput } from '../shared/errors.js';
import { isUniqueViolation } from '../storage/errors.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const CUSTOMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkUserName(userName: string): void {
  if (!USER_NAME.test(userName)) {
    throw invalidInput(
      `user name "${printable(userName)}" must be 1-64 letters, digits or . _ @ -`,
    );
  }
}

export function checkCustomerName(name: string): void {
  if (!CUSTOMER_NAME.test(name)) {
    throw invalidInput(
      `customer account name "${printable(name)}" must be 1-64 letters, digits or . _ -`,
    );
  }
}

/**
 * Claims a user name for one identity. Names are unique across administrators, portal logons
 * and registration credentials, compared without case, so no kind can shadow another.
 */
export async function claimLogonName(
  db: Db,
  userName: string,
  kind: LogonKind,
  customerId: number | null,
): Promise<void> {
  checkUserName(userName);
  const nameKey = userName.toLowerCase();
  const taken = await db
    .selectFrom('logonNames')
    .select('kind')
    .where('nameKey', '=', nameKey)
    .executeTakeFirst();
  if (taken !== undefined) throw conflict(`user name "${userName}" is already in use`);
  try {
    await db.insertInto('logonNames').values({ nameKey, userName, kind, customerId }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`user name "${userName}" is already in use`);
    throw error;
  }
}

function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}
