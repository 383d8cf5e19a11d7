import { parseApplianceGuid } from '../logserver/received-files.js';
import type { Db } from '../storage/database.js';

export interface FileQuestion {
  customerId: number;
  guid: string;
  /** The file's path inside the appliance's area, as its push named it. */
  name: string;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
}

export type FileAcknowledgement =
  { state: 'stored'; size: number; receivedAt: number } | { state: 'unknown' };

/**
 * Whether the log server holds this content of this file for the appliance (C23): an
 * appliance that lost our confirmation asks, instead of sending the file again forever. Any
 * recorded version with the same hash counts; it was stored and counted once. A GUID of
 * another customer account answers `unknown`, exactly like one never seen.
 */
export async function acknowledgeFile(
  db: Db,
  question: FileQuestion,
): Promise<FileAcknowledgement> {
  const guid = parseApplianceGuid(question.guid);
  if (guid === null) return { state: 'unknown' };
  const row = await db
    .selectFrom('receivedFiles as file')
    .innerJoin('registeredProducts as product', 'product.id', 'file.productId')
    .select(['file.size', 'file.receivedAt'])
    .where('product.guid', '=', guid)
    .where('product.customerId', '=', question.customerId)
    .where('file.customerId', '=', question.customerId)
    .where('file.name', '=', question.name)
    .where('file.sha256', '=', question.sha256)
    .orderBy('file.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? { state: 'unknown' } : { state: 'stored', ...row };
}
