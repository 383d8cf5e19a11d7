/**
 * A syslog header on the normalised record: the whole record for a plain syslog line, or what
 * the header adds to the record parsed from the body it carries.
 */
import { emptyRecord, emptyVendorFields, warn, type NormalisedRecord } from './record.js';
import type { SyslogMessage } from './syslog-message.js';
import { MAX_VENDOR_FIELDS, addVendorField } from './vendor-fields.js';

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
/** Syslog severity 0-7 on the record's 0-10 scale (10 most severe). */
const SEVERITY_LEVELS = [10, 9, 8, 7, 5, 3, 1, 0];

/** The header as vendor fields, `syslog.` in front, structured data as `SD-ID.PARAM`. */
export function syslogVendorFields(syslog: SyslogMessage): Record<string, string> {
  const fields = emptyVendorFields();
  const header: [string, string | null][] = [
    ['syslog.facility', codeName(FACILITIES, syslog.facility)],
    ['syslog.severity', codeName(SEVERITIES, syslog.severity)],
    ['syslog.hostname', syslog.hostname],
    ['syslog.appName', syslog.appName],
    ['syslog.procId', syslog.procId],
    ['syslog.msgId', syslog.msgId],
  ];
  for (const [key, value] of header) if (value !== null) addVendorField(fields, key, value);
  let room = MAX_VENDOR_FIELDS;
  for (const element of syslog.structuredData) {
    for (const [param, value] of element.params.slice(0, room)) {
      addVendorField(fields, `${element.id}.${param}`, value);
    }
    room = Math.max(0, room - element.params.length);
  }
  return fields;
}

function sdParamCount(syslog: SyslogMessage): number {
  return syslog.structuredData.reduce((sum, element) => sum + element.params.length, 0);
}

/** Vendor fields for the header, and the flag when structured data had to be cut. */
function addHeaderFields(record: NormalisedRecord, syslog: SyslogMessage): void {
  for (const [key, value] of Object.entries(syslogVendorFields(syslog))) {
    addVendorField(record.vendorFields, key, value);
  }
  if (sdParamCount(syslog) > MAX_VENDOR_FIELDS) warn(record, 'too_many_fields');
}

function codeName(names: string[], code: number | null): string | null {
  return code === null ? null : (names[code] ?? String(code));
}

function sdParam(syslog: SyslogMessage, id: string, param: string): string | null {
  const element = syslog.structuredData.find((candidate) => candidate.id === id);
  return element?.params.find(([name]) => name === param)?.[1] ?? null;
}

/** The record for a syslog line that carries no CEF or LEEF body. */
export function syslogRecord(syslog: SyslogMessage): NormalisedRecord {
  const record = emptyRecord(syslog.format);
  record.eventTime = syslog.eventTime;
  record.eventTimeText = syslog.timestampText;
  if (syslog.severity !== null) {
    record.severity = {
      level: SEVERITY_LEVELS[syslog.severity] ?? null,
      original: SEVERITIES[syslog.severity] ?? null,
    };
  }
  record.appliance.host = syslog.hostname;
  // RFC 5424 section 7.2: the "origin" element names the sending software and address.
  record.appliance.ip = sdParam(syslog, 'origin', 'ip');
  record.product = sdParam(syslog, 'origin', 'software');
  record.version = sdParam(syslog, 'origin', 'swVersion');
  record.warnings = [...syslog.warnings];
  addHeaderFields(record, syslog);
  record.message = syslog.message;
  return record;
}

function headerTimeUsable(syslog: SyslogMessage): boolean {
  return !syslog.warnings.some((warning) => warning.startsWith('timestamp_'));
}

/** The body named no time, or one that names no instant while the header's does. */
function needsHeaderTime(record: NormalisedRecord, syslog: SyslogMessage): boolean {
  if (record.eventTime === null && record.eventTimeText === null) return true;
  return record.warnings.includes('timestamp_invalid') && headerTimeUsable(syslog);
}

/**
 * Adds what a syslog header knows to the record parsed from its body (CEF, LEEF, JSON,
 * key=value): the body's own fields win; the header fills the appliance host, and the time
 * when the body has none it could read. A body stamp that still needs the appliance's zone or
 * a year (text without instant, no warning) is left for ingestion to complete.
 */
export function withSyslogHeader(
  record: NormalisedRecord,
  syslog: SyslogMessage,
): NormalisedRecord {
  record.appliance.host ??= syslog.hostname;
  if (needsHeaderTime(record, syslog)) {
    record.eventTime = syslog.eventTime;
    record.eventTimeText = syslog.timestampText;
    for (const warning of syslog.warnings) warn(record, warning);
  }
  addHeaderFields(record, syslog);
  return record;
}
