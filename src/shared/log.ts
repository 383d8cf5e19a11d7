import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

export type LogFormat = 'auto' | 'json' | 'pretty';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Field names whose values never reach a log line, wherever they sit in the logged object.
 * A security portal decides what it logs: secrets and credentials are removed by name.
 */
const SECRET_FIELDS = [
  'password',
  'secret',
  'registrationSecret',
  'portalPassword',
  'ticket',
  'authorization',
  'cookie',
  'privateKey',
  'key',
];

const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]).concat(
  ['req.headers.authorization', 'req.headers.cookie'],
);

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; standard error by default so that command output stays clean. */
  destination?: NodeJS.WritableStream;
}

/** One logger for the process; servers and modules take children with their context. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const usePretty =
    options.format === 'pretty' ||
    (options.format === 'auto' && 'isTTY' in destination && destination.isTTY);
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };

  if (usePretty) {
    const stream = pretty({
      destination,
      colorize: true,
      sync: true,
      translateTime: 'SYS:HH:MM:ss',
    });
    return pino(base, stream);
  }
  if (destination === process.stderr) return pino(base, pino.destination({ dest: 2, sync: true }));
  if (destination === process.stdout) return pino(base, pino.destination({ dest: 1, sync: true }));
  return pino(base, destination);
}

/** A logger that drops everything, for tests and for library code run without a sink. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
