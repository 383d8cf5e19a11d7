import { ExitCode, RsyncError } from '../rsync/errors.js';

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

/** SQLite result codes (with their extended forms) that say the database cannot be written. */
const SQLITE_STORE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

/**
 * SQLSTATE classes and codes of PostgreSQL that blame the server, not the statement: lost
 * connections, no space or memory, shutdowns and cancelled statements, I/O errors, a
 * read-only transaction (a standby, default_transaction_read_only), an unavailable lock.
 */
const POSTGRES_CLASSES = ['08', '53', '57', '58'];
const POSTGRES_CODES = ['25006', '55P03', 'XX001', 'XX002'];
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Errors of the connection itself, from node and from the pg driver (which sets no code). */
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
];
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed',
  'Query read timeout',
  'timeout expired',
];

/** Whether a database call failed because the database cannot take writes now. */
export function isDatabaseFailure(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return isDatabaseFailure(error.errors[0]);
  }
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') {
    return PG_CONNECTION_MESSAGES.some((start) => error.message.startsWith(start));
  }
  if (code.startsWith('SQLITE_')) {
    return SQLITE_STORE_CODES.some((known) => code === known || code.startsWith(`${known}_`));
  }
  if (NETWORK_CODES.includes(code)) return true;
  return (
    SQLSTATE.test(code) &&
    (POSTGRES_CLASSES.includes(code.slice(0, 2)) || POSTGRES_CODES.includes(code))
  );
}
