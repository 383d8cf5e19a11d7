import type { Db } from '../storage/database.js';
import type { Cursor } from './commit.js';

/** A received file version waiting for ingestion, with what reading it needs. */
export interface PendingVersion {
  id: number;
  customerId: number;
  productId: number;
  guid: string;
  name: string;
  size: number;
  receivedAt: number;
  cursor: Cursor;
  /** The appliance's zone, else its customer account's. */
  timeZone: string;
}

/**
 * The oldest waiting versions that are the latest of their file: an older one that is still
 * waiting is read through its successor (the file on disk already is the newer version).
 */
export async function pendingVersions(
  db: Db,
  limit: number,
  afterId = 0,
): Promise<PendingVersion[]> {
  const rows = await db
    .selectFrom('receivedFiles as file')
    .innerJoin('registeredProducts as product', 'product.id', 'file.productId')
    .innerJoin('customerAccounts as customer', 'customer.id', 'file.customerId')
    .select([
      'file.id',
      'file.customerId',
      'file.productId',
      'product.guid',
      'file.name',
      'file.size',
      'file.receivedAt',
      'file.ingestedLength',
      'file.ingestedSha256',
      'product.timeZone as productZone',
      'customer.timeZone as customerZone',
    ])
    .where('file.ingestedAt', 'is', null)
    .where('file.id', '>', afterId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('receivedFiles as newer')
            .select('newer.id')
            .whereRef('newer.productId', '=', 'file.productId')
            .whereRef('newer.name', '=', 'file.name')
            .whereRef('newer.id', '>', 'file.id'),
        ),
      ),
    )
    .orderBy('file.id')
    .limit(limit)
    .execute();

  return rows.map((row) => ({
    id: row.id,
    customerId: row.customerId,
    productId: row.productId,
    guid: row.guid,
    name: row.name,
    size: row.size,
    receivedAt: row.receivedAt,
    cursor: { length: row.ingestedLength, sha256: row.ingestedSha256 },
    timeZone: row.productZone ?? row.customerZone,
  }));
}

/** Where reading of a new version may start: what was read of the latest earlier version. */
export async function earlierCursor(db: Db, version: PendingVersion): Promise<Cursor> {
  const earlier = await db
    .selectFrom('receivedFiles')
    .select(['ingestedLength', 'ingestedSha256'])
    .where('productId', '=', version.productId)
    .where('name', '=', version.name)
    .where('id', '<', version.id)
    .where('ingestedSha256', 'is not', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return earlier === undefined
    ? { length: 0, sha256: null }
    : { length: earlier.ingestedLength, sha256: earlier.ingestedSha256 };
}
