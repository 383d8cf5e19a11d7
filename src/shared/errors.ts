/**
 * The one error vocabulary of TMSP. Every expected failure is an AppError with a stable code;
 * the edges (HTTP, CLI, protocol doors) map it once. Anything else is an internal failure whose
 * detail goes only to the log.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'startup_failed'
  | 'database_unreachable'
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'forbidden'
  | 'unauthenticated'
  | 'unavailable'
  | 'too_large'
  | 'range_not_satisfiable'
  | 'checksum_mismatch'
  | 'insufficient_storage'
  | 'throttled';

const HTTP_STATUS: Record<ErrorCode, number> = {
  config_invalid: 500,
  startup_failed: 500,
  database_unreachable: 503,
  not_found: 404,
  conflict: 409,
  invalid_input: 400,
  forbidden: 403,
  unauthenticated: 401,
  unavailable: 503,
  too_large: 413,
  range_not_satisfiable: 416,
  checksum_mismatch: 422,
  insufficient_storage: 507,
  throttled: 429,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Whether the message may be shown to whoever caused it (never true for internals). */
  readonly expose: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { expose?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.expose = options.expose ?? true;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
export const conflict = (message: string): AppError => new AppError('conflict', message);
export const invalidInput = (message: string): AppError => new AppError('invalid_input', message);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A one-line description of any thrown value, for operators (never for remote peers). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
