/**
 * Syslog headers: RFC 5424 and RFC 3164 with the loose layouts real senders use. The header
 * becomes record fields; the MSG after it is returned as `message`, so that a CEF or LEEF body
 * carried inside syslog can be handed to its own parser (see detect-format.ts).
 */
import { MAX_VENDOR_FIELDS, addVendorField } from './key-value.js';
import {
  accepted,
  emptyRecord,
  emptyVendorFields,
  rejected,
  warn,
  type NormalisedRecord,
  type ParseResult,
} from './record.js';
import {
  fractionMilliseconds,
  hasIsoTimestampShape,
  inferYearWith,
  isKnownTimeZone,
  readIsoTimestamp,
  utcMilliseconds,
  wallTimeToInstant,
  zonedTimeToUtc,
  type MonthDayTime,
  type TimeContext,
  type WallTime,
} from './zoned-time.js';

export { inferYear, skewSeconds, type TimeContext } from './zoned-time.js';

export type SyslogFormat = 'syslog3164' | 'syslog5424';

export interface StructuredDataElement {
  id: string;
  params: [name: string, value: string][];
}

export interface SyslogMessage {
  format: SyslogFormat;
  /** Null when the line had no PRI (files written by a local syslog daemon often have none). */
  facility: number | null;
  severity: number | null;
  /** As read; the receive time when the stamp was missing or impossible (see warnings). */
  eventTime: Date;
  timestampText: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: StructuredDataElement[];
  /** Everything after the header, a leading BOM removed; empty when there is none. */
  message: string;
  warnings: string[];
}

export type SyslogRead = { ok: true; syslog: SyslogMessage } | { ok: false; reason: string };

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
const MAX_PRI = 191;
const BOM = '\uFEFF';

const failed = (reason: string): SyslogRead => ({ ok: false, reason });

interface Pri {
  facility: number;
  severity: number;
  next: number;
}

const PRI = /<(\d{1,3})>/y;

function readPri(line: string): Pri | null {
  PRI.lastIndex = 0;
  const match = PRI.exec(line);
  const value = Number(match?.[1]);
  if (match === null || value > MAX_PRI) return null;
  return { facility: value >> 3, severity: value & 7, next: PRI.lastIndex };
}

function timeZoneOf(context: TimeContext): { zone: string; warnings: string[] } {
  const zone = context.timeZone ?? 'UTC';
  if (isKnownTimeZone(zone)) return { zone, warnings: [] };
  return { zone: 'UTC', warnings: ['time_zone_unknown'] };
}

/** A space-delimited header field; several spaces count as one, as lenient receivers do. */
function readField(line: string, position: number): { value: string; next: number } | null {
  let start = position;
  while (line.charCodeAt(start) === 0x20) start += 1;
  if (start >= line.length) return null;
  let end = line.indexOf(' ', start);
  if (end === -1) end = line.length;
  return { value: line.slice(start, end), next: end };
}

const nil = (value: string): string | null => (value === '-' ? null : value);

function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

// ---------------------------------------------------------------- RFC 5424

interface HeaderFields {
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

const HEADER_FIELD_NAMES = ['VERSION', 'TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];

function readHeaderFields(
  line: string,
  position: number,
): { fields: HeaderFields; next: number } | string {
  const values: string[] = [];
  let next = position;
  for (const name of HEADER_FIELD_NAMES) {
    const field = readField(line, next);
    if (field === null) return `line ends where ${name} was expected`;
    values.push(field.value);
    next = field.next;
  }
  const [version = '', timestamp = '', hostname = '', appName = '', procId = '', msgId = ''] =
    values;
  return { fields: { version, timestamp, hostname, appName, procId, msgId }, next };
}

interface ReadStamp {
  time: Date;
  warnings: string[];
}

function read5424Timestamp(text: string, context: TimeContext): ReadStamp | string {
  if (text === '-') return { time: context.receiveTime, warnings: ['timestamp_missing'] };
  if (!hasIsoTimestampShape(text)) return `bad TIMESTAMP "${text.slice(0, 40)}"`;
  const { zone, warnings } = timeZoneOf(context);
  const read = readIsoTimestamp(text, zone);
  if (read === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  return { time: read.time, warnings: read.zoneAssumed ? warnings : [] };
}

/** RFC 5424 section 6.3.3: inside PARAM-VALUE only `"`, `\` and `]` are escaped. */
function readParamValue(line: string, position: number): { value: string; next: number } | null {
  let value = '';
  let runStart = position;
  for (let index = position; index < line.length; index += 1) {
    const char = line[index];
    if (char === '"') return { value: value + line.slice(runStart, index), next: index + 1 };
    if (char !== '\\') continue;
    const following = line[index + 1];
    if (following === '"' || following === '\\' || following === ']') {
      value += line.slice(runStart, index) + following;
      index += 1;
      runStart = index + 1;
    }
  }
  return null;
}

const SD_NAME = /[^ =\]"]{1,32}/y;

function readSdName(line: string, position: number): { name: string; next: number } | null {
  SD_NAME.lastIndex = position;
  const match = SD_NAME.exec(line);
  return match === null ? null : { name: match[0], next: SD_NAME.lastIndex };
}

function readSdParam(
  line: string,
  position: number,
): { param: [string, string]; next: number } | string {
  const name = readSdName(line, position);
  if (name === null) return 'bad PARAM-NAME in STRUCTURED-DATA';
  if (line.slice(name.next, name.next + 2) !== '="') return `no '="' after PARAM-NAME`;
  const value = readParamValue(line, name.next + 2);
  if (value === null) return 'unterminated PARAM-VALUE in STRUCTURED-DATA';
  return { param: [name.name, value.value], next: value.next };
}

function readSdElement(
  line: string,
  position: number,
): { element: StructuredDataElement; next: number } | string {
  const id = readSdName(line, position + 1);
  if (id === null) return 'bad SD-ID in STRUCTURED-DATA';
  const params: [string, string][] = [];
  let next = id.next;
  while (line[next] === ' ') {
    const param = readSdParam(line, next + 1);
    if (typeof param === 'string') return param;
    params.push(param.param);
    next = param.next;
  }
  if (line[next] !== ']') return 'unterminated SD-ELEMENT in STRUCTURED-DATA';
  return { element: { id: id.name, params }, next: next + 1 };
}

function readStructuredData(
  line: string,
  position: number,
): { elements: StructuredDataElement[]; next: number } | string {
  let start = position;
  while (line[start] === ' ') start += 1;
  if (line[start] === '-') return { elements: [], next: start + 1 };
  if (line[start] !== '[') return 'line ends where STRUCTURED-DATA was expected';
  const elements: StructuredDataElement[] = [];
  let next = start;
  while (line[next] === '[') {
    const element = readSdElement(line, next);
    if (typeof element === 'string') return element;
    elements.push(element.element);
    next = element.next;
  }
  return { elements, next };
}

function readMessage(line: string, position: number): string {
  const start = line[position] === ' ' ? position + 1 : position;
  return stripBom(line.slice(start));
}

/** Reads an RFC 5424 line into its parts, without the record mapping. */
export function readSyslog5424(line: string, context: TimeContext): SyslogRead {
  const pri = readPri(line);
  if (pri === null) return failed('no PRI (<0>..<191>) at the start of the line');
  const header = readHeaderFields(line, pri.next);
  if (typeof header === 'string') return failed(header);
  const { fields } = header;
  if (fields.version !== '1') return failed(`unsupported syslog version "${fields.version}"`);
  const stamp = read5424Timestamp(fields.timestamp, context);
  if (typeof stamp === 'string') return failed(stamp);
  const sd = readStructuredData(line, header.next);
  if (typeof sd === 'string') return failed(sd);
  return {
    ok: true,
    syslog: {
      format: 'syslog5424',
      facility: pri.facility,
      severity: pri.severity,
      eventTime: stamp.time,
      timestampText: nil(fields.timestamp),
      hostname: nil(fields.hostname),
      appName: nil(fields.appName),
      procId: nil(fields.procId),
      msgId: nil(fields.msgId),
      structuredData: sd.elements,
      message: readMessage(line, sd.next),
      warnings: stamp.warnings,
    },
  };
}

// ---------------------------------------------------------------- RFC 3164

const MONTHS: ReadonlyMap<string, number> = new Map(
  [
    ['jan', 'january'],
    ['feb', 'february'],
    ['mar', 'march'],
    ['apr', 'april'],
    ['may', 'may'],
    ['jun', 'june'],
    ['jul', 'july'],
    ['aug', 'august'],
    ['sep', 'september', 'sept'],
    ['oct', 'october'],
    ['nov', 'november'],
    ['dec', 'december'],
  ].flatMap((names, index) => names.map((name): [string, number] => [name, index + 1])),
);

/**
 * `Mmm dd hh:mm:ss` and its relatives: full month names, `Mmm dd, yyyy`, `Mmm dd yyyy`, a
 * fraction, and Cisco's `*` / `.` marks for an unsynchronised clock.
 */
const BSD_STAMP =
  /[*.]?([A-Za-z]{3,9}) +(\d{1,2}),?(?: +(\d{4}))? +(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/y;
/** A zone after the time: an offset, or letters (read as an offset only for UTC and GMT). */
const STAMP_ZONE = / +(UTC|GMT|UT|Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5})(?= |:|$)/y;
const STAMP_YEAR = / +(\d{4})(?= |:|$)/y;
/** Abbreviations a sender writes after the time; a hostname such as `DDAN` must not match. */
const ZONE_ABBREVIATIONS = new Set(
  (
    'UTC GMT UT Z WET WEST BST IST CET CEST EET EEST MSK EST EDT CST CDT MST MDT PST PDT AKST ' +
    'AKDT HST AEST AEDT ACST ACDT AWST NZST NZDT JST KST HKT SGT PHT WIB ICT'
  ).split(' '),
);

interface BsdStamp extends MonthDayTime {
  year: number | null;
  /** Milliseconds east of UTC when the stamp names UTC or an offset. */
  offset: number | null;
  zoneName: string | null;
  text: string;
  next: number;
}

function offsetOfZone(zone: string): number | null {
  if (['UTC', 'GMT', 'UT', 'Z'].includes(zone)) return 0;
  if (!/^[+-]/.test(zone)) return null;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return (zone.startsWith('-') ? -1 : 1) * minutes * 60_000;
}

function readStampZone(
  line: string,
  position: number,
  hasYear: boolean,
): { zone: string; next: number } | null {
  STAMP_ZONE.lastIndex = position;
  const match = STAMP_ZONE.exec(line);
  const zone = match?.[1];
  if (match === null || zone === undefined) return null;
  const next = STAMP_ZONE.lastIndex;
  STAMP_YEAR.lastIndex = next;
  const yearFollows = !hasYear && STAMP_YEAR.test(line);
  if (/^[A-Z]+$/.test(zone) && !ZONE_ABBREVIATIONS.has(zone) && !yearFollows) return null;
  return { zone, next };
}

function readStampYear(line: string, position: number): { year: number; next: number } | null {
  STAMP_YEAR.lastIndex = position;
  const match = STAMP_YEAR.exec(line);
  return match === null ? null : { year: Number(match[1]), next: STAMP_YEAR.lastIndex };
}

function readBsdStamp(line: string, position: number): BsdStamp | null {
  BSD_STAMP.lastIndex = position;
  const match = BSD_STAMP.exec(line);
  if (match === null) return null;
  const [, monthName = '', day, yearText, hour, minute, second, fraction] = match;
  const month = MONTHS.get(monthName.toLowerCase());
  if (month === undefined) return null;
  let next = BSD_STAMP.lastIndex;
  const zone = readStampZone(line, next, yearText !== undefined);
  if (zone !== null) next = zone.next;
  const lateYear = yearText === undefined ? readStampYear(line, next) : null;
  if (lateYear !== null) next = lateYear.next;
  const text = line.slice(position, next);
  if (line[next] === ':') next += 1;
  if (next < line.length && line[next] !== ' ') return null;
  return {
    month,
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fractionMilliseconds(fraction),
    year: yearText !== undefined ? Number(yearText) : (lateYear?.year ?? null),
    offset: zone === null ? null : offsetOfZone(zone.zone),
    zoneName: zone?.zone ?? null,
    text,
    next,
  };
}

function wallOf(time: MonthDayTime, year: number): WallTime {
  const { month, day, hour, minute, second, millisecond } = time;
  return { year, month, day, hour, minute, second, millisecond };
}

function instantOfWall(wall: WallTime, offset: number | null, zone: string): Date | null {
  if (offset !== null) return new Date(utcMilliseconds(wall) - offset);
  return zonedTimeToUtc(wall, zone);
}

function bsdStampTime(stamp: BsdStamp, context: TimeContext): ReadStamp {
  const { zone, warnings } = timeZoneOf(context);
  const zoneWarnings = stamp.offset === null ? warnings : [];
  const year =
    stamp.year ??
    inferYearWith(stamp, context.receiveTime, (wall) => instantOfWall(wall, stamp.offset, zone));
  if (year === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  const read = wallTimeToInstant(wallOf(stamp, year), stamp.offset, zone);
  if (read === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  return { time: read.time, warnings: zoneWarnings };
}

interface Stamp3164 {
  time: Date;
  text: string;
  warnings: string[];
  next: number;
}

/** rsyslog and others put an RFC 3339 stamp where RFC 3164 has `Mmm dd hh:mm:ss`. */
function readIsoStamp(line: string, position: number, context: TimeContext): Stamp3164 | null {
  const field = readField(line, position);
  if (field === null || field.next - field.value.length !== position) return null;
  if (!hasIsoTimestampShape(field.value)) return null;
  const stamp = read5424Timestamp(field.value, context);
  if (typeof stamp === 'string') return null;
  return { time: stamp.time, warnings: stamp.warnings, text: field.value, next: field.next };
}

function read3164Stamp(line: string, position: number, context: TimeContext): Stamp3164 | null {
  const iso = readIsoStamp(line, position, context);
  if (iso !== null) return iso;
  const bsd = readBsdStamp(line, position);
  if (bsd === null) return null;
  const { time, warnings } = bsdStampTime(bsd, context);
  return { time, warnings, text: bsd.text, next: bsd.next };
}

const TAG = /([^\s[\]:]{1,64})(?:\[([^\]\s]{0,128})\])?:(?= |$)/y;
const EMBEDDED_BODY = /^(?:CEF|LEEF): ?\d/;

interface Tag {
  tag: string;
  pid: string | null;
  next: number;
}

function readTag(line: string, position: number): Tag | null {
  if (EMBEDDED_BODY.test(line.slice(position, position + 8))) return null;
  TAG.lastIndex = position;
  const match = TAG.exec(line);
  if (match === null) return null;
  return { tag: match[1] ?? '', pid: match[2] ?? null, next: TAG.lastIndex };
}

interface HostAndTag {
  hostname: string | null;
  tag: Tag | null;
  message: string;
}

/** `HOSTNAME TAG[PID]: MSG`, where either of HOSTNAME and TAG may be missing. */
function readHostAndTag(line: string, position: number): HostAndTag {
  const first = readField(line, position);
  if (first === null) return { hostname: null, tag: null, message: '' };
  const start = first.next - first.value.length;
  const tagFirst = readTag(line, start);
  // A hostname never holds `=`: such a first word already belongs to a key=value body.
  const hostless =
    tagFirst !== null || EMBEDDED_BODY.test(first.value) || first.value.includes('=');
  const hostname = hostless ? null : first.value;
  let next = hostless ? start : first.next;
  while (line[next] === ' ') next += 1;
  const tag = tagFirst ?? readTag(line, next);
  if (tag !== null) next = tag.next;
  return { hostname, tag, message: readMessage(line, next) };
}

/** Reads an RFC 3164 line (or one of its loose relatives) into its parts. */
export function readSyslog3164(line: string, context: TimeContext): SyslogRead {
  const pri = line.startsWith('<') ? readPri(line) : null;
  const afterPri = pri?.next ?? 0;
  const stamp = read3164Stamp(line, afterPri, context);
  if (stamp === null && pri === null) return failed('neither a PRI nor a syslog time stamp');
  // RFC 3164 section 4.3.3: without a valid TIMESTAMP the whole rest is CONTENT.
  const rest =
    stamp === null
      ? { hostname: null, tag: null, message: stripBom(line.slice(afterPri)) }
      : readHostAndTag(line, stamp.next);
  const syslog: SyslogMessage = {
    format: 'syslog3164',
    facility: pri?.facility ?? null,
    severity: pri?.severity ?? null,
    eventTime: stamp?.time ?? context.receiveTime,
    timestampText: stamp?.text ?? null,
    hostname: rest.hostname,
    appName: rest.tag?.tag ?? null,
    procId: rest.tag?.pid ?? null,
    msgId: null,
    structuredData: [],
    message: rest.message,
    warnings: stamp?.warnings ?? ['timestamp_missing'],
  };
  return { ok: true, syslog };
}

/** RFC 5424 when the PRI is followed by a version number and a space, else RFC 3164. */
export function readSyslog(line: string, context: TimeContext): SyslogRead {
  return isSyslog5424(line) ? readSyslog5424(line, context) : readSyslog3164(line, context);
}

const SYSLOG_5424_START = /^<\d{1,3}>[1-9]\d{0,2} /;

export function isSyslog5424(line: string): boolean {
  return SYSLOG_5424_START.test(line);
}

// ---------------------------------------------------------------- record mapping

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
