/**
 * Syslog headers: RFC 5424 and RFC 3164 with the loose layouts real senders use. The header
 * becomes record fields; the MSG after it is returned as `message`, so that a CEF or LEEF body
 * carried inside syslog can be handed to its own parser (see detect-format.ts).
 * Each flavour has its own module (syslog-5424.ts, syslog-3164.ts), and so has the record
 * mapping (syslog-record.ts); their exports are re-exported here for existing importers.
 */
import { accepted, rejected, type ParseResult } from './record.js';
import { readSyslog3164 } from './syslog-3164.js';
import { readSyslog5424 } from './syslog-5424.js';
import type { SyslogRead } from './syslog-message.js';
import { syslogRecord } from './syslog-record.js';
import type { TimeContext } from './zoned-time.js';

export { inferYear, skewSeconds, type TimeContext } from './zoned-time.js';

export type {
  StructuredDataElement,
  SyslogFormat,
  SyslogMessage,
  SyslogRead,
} from './syslog-message.js';
export { readSyslog3164 } from './syslog-3164.js';
export { readSyslog5424 } from './syslog-5424.js';
export { syslogRecord, syslogVendorFields, withSyslogHeader } from './syslog-record.js';

/** RFC 5424 when the PRI is followed by a version number and a space, else RFC 3164. */
export function readSyslog(line: string, context: TimeContext): SyslogRead {
  return isSyslog5424(line) ? readSyslog5424(line, context) : readSyslog3164(line, context);
}

const SYSLOG_5424_START = /^<\d{1,3}>[1-9]\d{0,2} /;

export function isSyslog5424(line: string): boolean {
  return SYSLOG_5424_START.test(line);
}

function toResult(read: SyslogRead): ParseResult {
  return read.ok ? accepted(syslogRecord(read.syslog)) : rejected(read.reason);
}

export function parseSyslog5424(line: string, context: TimeContext): ParseResult {
  return toResult(readSyslog5424(line, context));
}

export function parseSyslog3164(line: string, context: TimeContext): ParseResult {
  return toResult(readSyslog3164(line, context));
}

/** Either syslog flavour, told apart by the version number after the PRI. */
export function parseSyslog(line: string, context: TimeContext): ParseResult {
  return toResult(readSyslog(line, context));
}
