/** Whether a database error is a broken unique or primary-key constraint, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
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
