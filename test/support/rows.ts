import type { Db } from '../../src/storage/database.js';
import type { CustomerStatus } from '../../src/storage/schema.js';

/** A customer account row with nothing around it, for tests of one feature's storage. */
export async function insertCustomerAccount(
  db: Db,
  name: string,
  status: CustomerStatus = 'active',
): Promise<number> {
  const row = await db
    .insertInto('customerAccounts')
    .values({ name, company: null, timeZone: 'UTC', language: 'en', status, createdAt: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A registered product row as a first push or heartbeat leaves it, with the type given. */
export async function insertRegisteredProduct(
  db: Db,
  product: {
    customerId: number;
    guid: string;
    type: string | null;
    hostName?: string;
    firstRegisteredAt?: number;
  },
): Promise<number> {
  const row = await db
    .insertInto('registeredProducts')
    .values({
      customerId: product.customerId,
      guid: product.guid,
      type: product.type,
      hostName: product.hostName ?? null,
      firstRegisteredAt: product.firstRegisteredAt ?? 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
