import { ExitCode, RsyncError } from '../rsync/errors.js';
import { isDatabaseFailure } from '../storage/errors.js';

/** Which part of the store refused a write: the database, or the disk holding the areas. */
export type StorePart = 'database' | 'disk';

/** What a client hears when the store cannot take its files: it keeps them and retries. */
export const STORE_UNAVAILABLE =
  'tmsp: the log store cannot take files now; keep the files and push again later';

/**
 * A write the store refused for reasons of its own (a full or read-only disk, a database that
 * is unreachable, locked or read-only), as opposed to anything the client did. The message is
 * the client's; the underlying error is for the operator's log only.
 */
export class StoreFailure extends RsyncError {
  constructor(
    readonly part: StorePart,
    message: string,
    readonly underlying: unknown,
  ) {
    super(message, ExitCode.fileIo);
    this.name = 'StoreFailure';
  }
}

/** A database error as the client should see it; any other error is returned as it is. */
export function asStoreFailure(error: unknown): unknown {
  return isDatabaseFailure(error) ? new StoreFailure('database', STORE_UNAVAILABLE, error) : error;
}

/** The part of the store a failure shows to be broken, or null when the store is not to blame. */
export function failedPart(error: unknown): StorePart | null {
  if (error instanceof StoreFailure) return error.part;
  return isDatabaseFailure(error) ? 'database' : null;
}
