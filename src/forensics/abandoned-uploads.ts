import type { Logger } from '../shared/log.js';
import type { Db } from '../storage/database.js';
import { packageDirectory, partialFile, removeFile } from './package-files.js';

export interface AbandonedUploadDeps {
  db: Db;
  areasDir: string;
  logger: Logger;
}

/**
 * Ends uploads that took no byte since the cutoff: an appliance that never came back for the
 * rest. The row goes first, only while it is still that old, so that a range arriving meanwhile
 * keeps its upload; then the partial file. Answers how many were ended.
 */
export async function endAbandonedUploads(
  deps: AbandonedUploadDeps,
  cutoff: number,
): Promise<number> {
  const stale = await deps.db
    .selectFrom('forensicUploads')
    .innerJoin('registeredProducts', 'registeredProducts.id', 'forensicUploads.productId')
    .select(['forensicUploads.id', 'forensicUploads.customerId', 'registeredProducts.guid'])
    .select(['forensicUploads.receivedBytes', 'forensicUploads.updatedAt'])
    .where('forensicUploads.updatedAt', '<', cutoff)
    .execute();

  let ended = 0;
  for (const upload of stale) {
    const deleted = await deps.db
      .deleteFrom('forensicUploads')
      .where('id', '=', upload.id)
      .where('updatedAt', '<', cutoff)
      .executeTakeFirst();
    if (deleted.numDeletedRows === 0n) continue;

    const directory = packageDirectory(deps.areasDir, upload.customerId, upload.guid);
    await removeFile(partialFile(directory, upload.id));
    ended += 1;
    deps.logger.info(
      { customerId: upload.customerId, guid: upload.guid, receivedBytes: upload.receivedBytes },
      'abandoned forensic upload ended',
    );
  }
  return ended;
}
