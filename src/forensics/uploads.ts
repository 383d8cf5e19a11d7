import type { Selectable } from 'kysely';

import type { Db } from '../storage/database.js';
import type { ForensicUploadTable } from '../storage/schema.js';

export type Upload = Selectable<ForensicUploadTable>;

export type NewUpload = Omit<Upload, 'receivedBytes' | 'updatedAt'>;

export async function insertUpload(db: Db, upload: NewUpload): Promise<Upload> {
  const row = { ...upload, receivedBytes: 0, updatedAt: upload.startedAt };
  await db.insertInto('forensicUploads').values(row).execute();
  return row;
}

/** An upload of this customer account; another account's answers exactly as an unknown one. */
export async function findUpload(db: Db, customerId: number, id: string): Promise<Upload | null> {
  const row = await db
    .selectFrom('forensicUploads')
    .selectAll()
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
