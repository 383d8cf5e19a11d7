import type { Selectable } from 'kysely';

import type { Db } from '../storage/database.js';
import type { ForensicUploadTable } from '../storage/schema.js';

export type Upload = Omit<Selectable<ForensicUploadTable>, 'writer' | 'writerUntil'>;

export type NewUpload = Omit<Upload, 'receivedBytes' | 'updatedAt'>;

/** How many uploads of the appliance are announced and not finished. */
export async function openUploads(db: Db, productId: number): Promise<number> {
  const { count } = await db
    .selectFrom('forensicUploads')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('productId', '=', productId)
    .executeTakeFirstOrThrow();
  return count;
}

export async function insertUpload(db: Db, upload: NewUpload): Promise<Upload> {
  const row = { ...upload, receivedBytes: 0, updatedAt: upload.startedAt };
  await db.insertInto('forensicUploads').values(row).execute();
  return row;
}

/** An upload of this customer account; another account's answers exactly as an unknown one. */
export async function findUpload(db: Db, customerId: number, id: string): Promise<Upload | null> {
  const row = await db
    .selectFrom('forensicUploads')
    .select(['id', 'customerId', 'productId', 'endpoint', 'fileName', 'declaredSize'])
    .select(['declaredSha256', 'receivedBytes', 'startedAt', 'updatedAt'])
    .where('id', '=', id)
    .where('customerId', '=', customerId)
    .executeTakeFirst();
  return row ?? null;
}

export async function setReceivedBytes(
  db: Db,
  id: string,
  receivedBytes: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('forensicUploads')
    .set({ receivedBytes, updatedAt: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteUpload(db: Db, id: string): Promise<void> {
  await db.deleteFrom('forensicUploads').where('id', '=', id).execute();
}

/**
 * An upload whose last byte arrived, as its case remembers it: an appliance that lost the
 * answer learns that the package is complete and which case it opened, instead of a 404 that
 * would make it send the package again.
 */
export async function finishedUpload(
  db: Db,
  customerId: number,
  id: string,
): Promise<{ upload: Upload; guid: string; caseId: number } | null> {
  const row = await db
    .selectFrom('forensicCases')
    .innerJoin('registeredProducts', 'registeredProducts.id', 'forensicCases.productId')
    .select(['forensicCases.id as caseId', 'registeredProducts.guid'])
    .select(['forensicCases.productId', 'endpoint', 'fileName', 'size', 'sha256'])
    .select(['receivedAt', 'forensicCases.customerId'])
    .where('uploadId', '=', id)
    .where('forensicCases.customerId', '=', customerId)
    .executeTakeFirst();
  if (row === undefined) return null;
  const upload: Upload = {
    id,
    customerId: row.customerId,
    productId: row.productId,
    endpoint: row.endpoint,
    fileName: row.fileName,
    declaredSize: row.size,
    declaredSha256: row.sha256,
    receivedBytes: row.size,
    startedAt: row.receivedAt,
    updatedAt: row.receivedAt,
  };
  return { upload, guid: row.guid, caseId: row.caseId };
}

/**
 * Takes the upload's writer lease, or answers false while another range holds it (in this
 * process or another). A lease outlives the longest request (10 minutes) by a minute, so it
 * lapses only when its writer died.
 */
export async function claimWriter(db: Db, id: string, lease: string, now: number) {
  const claimed = await db
    .updateTable('forensicUploads')
    .set({ writer: lease, writerUntil: now + WRITER_LEASE_MS })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('writer', 'is', null), eb('writerUntil', '<', now)]))
    .executeTakeFirst();
  return claimed.numUpdatedRows > 0n;
}

export async function releaseWriter(db: Db, id: string, lease: string): Promise<void> {
  await db
    .updateTable('forensicUploads')
    .set({ writer: null, writerUntil: null })
    .where('id', '=', id)
    .where('writer', '=', lease)
    .execute();
}

const WRITER_LEASE_MS = 11 * 60_000;
