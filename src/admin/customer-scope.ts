import { findCustomer } from '../accounts/customers.js';
import type { WebSession } from '../cas-client/sign-on.js';
import { notFound } from '../shared/errors.js';
import type { Db } from '../storage/database.js';

/** Whether an administrator's scope covers the customer account of that name. */
export function coversCustomer(session: WebSession, customerName: string): boolean {
  return session.customerScope === 'all' || session.customerAccounts.includes(customerName);
}

/**
 * The id of a customer account in the administrator's scope. One outside it answers exactly as
 * an unknown one (404), so that the console API never tells which accounts exist.
 */
export async function customerInScope(
  db: Db,
  session: WebSession,
  customerName: string,
): Promise<number> {
  if (!coversCustomer(session, customerName)) throw notFound(`customer account "${customerName}"`);
  return (await findCustomer(db, customerName)).id;
}
