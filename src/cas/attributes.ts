import type { Db } from '../storage/database.js';
import type { SsoSession } from './sso-sessions.js';

/** CAS attributes: every value is a list of strings, in XML and JSON alike. */
export type Attributes = Record<string, string[]>;

/**
 * What console, portal and status server learn about the user: the role, which customer
 * accounts they may see (PROTOCOLS.md §4) and whether the password must still be changed.
 */
export async function attributesOf(
  db: Db,
  session: SsoSession,
  fromNewLogin: boolean,
): Promise<Attributes> {
  const common = {
    authenticationDate: [new Date(session.createdAt).toISOString()],
    isFromNewLogin: [String(fromNewLogin)],
    longTermAuthenticationRequestTokenUsed: ['false'],
  };

  switch (session.principalKind) {
    case 'administrator':
      return { ...common, ...(await administratorAttributes(db, session.userName)) };
    case 'portal':
    case 'registration':
      return {
        ...common,
        role: [session.principalKind === 'portal' ? 'portal' : 'appliance'],
        customerScope: ['own'],
        customerAccounts: await customerName(db, session.customerId),
        mustChangePassword: [String(session.passwordChangePending === 1)],
      };
  }
}

async function administratorAttributes(db: Db, userName: string): Promise<Attributes> {
  const admin = await db
    .selectFrom('administrators')
    .select(['id', 'scope', 'mustChangePassword'])
    .where('userName', '=', userName)
    .executeTakeFirstOrThrow();
  const assigned =
    admin.scope === 'all'
      ? []
      : await db
          .selectFrom('administratorCustomers as a')
          .innerJoin('customerAccounts as c', 'c.id', 'a.customerId')
          .select('c.name')
          .where('a.administratorId', '=', admin.id)
          .orderBy('c.name')
          .execute();
  return {
    role: ['administrator'],
    customerScope: [admin.scope],
    customerAccounts: assigned.map((row) => row.name),
    mustChangePassword: [String(admin.mustChangePassword === 1)],
  };
}

async function customerName(db: Db, customerId: number | null): Promise<string[]> {
  if (customerId === null) return [];
  const row = await db
    .selectFrom('customerAccounts')
    .select('name')
    .where('id', '=', customerId)
    .executeTakeFirst();
  return row === undefined ? [] : [row.name];
}
