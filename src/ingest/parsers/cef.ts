/**
 * ArcSight Common Event Format: `CEF:Version|Vendor|Product|Version|Class Id|Name|Severity|`
 * followed by `key=value` pairs, optionally after a syslog header. Written by hand to the
 * spec's escaping rules and to what real senders do instead (handed cases C01, C02, C04):
 * a key starts only where a space is followed by a key-shaped token and an unescaped `=`, so
 * an `=` inside a value (base64 padding, a URL query) stays in the value. Every step is one
 * pass over the line, whatever it holds.
 */
import { mapVendorFields, normaliseSeverity } from './cef-fields.js';
import { completeEventTime, eventTimeFromLine } from './event-time.js';
import {
  type NormalisedRecord,
  type ParseResult,
  accepted,
  emptyRecord,
  rejected,
  warn,
} from './record.js';
import type { TimeContext } from './zoned-time.js';

const MARKER = 'CEF:';
const HEADER_FIELDS = 7;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const PIPE = 0x7c;
const VERSION = /^ ?\d{1,3}(?:\.\d{1,3})?$/;
const VALUE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', '=': '=', '\\': '\\' };
/** Enough of a syslog header to hold its time stamp; the bound keeps the patterns cheap. */
const PREFIX_STAMP_SCAN = 80;
const PRIORITY = /^<\d{1,3}>/;
const RFC5424_STAMP = /^1 (\S{1,40})/;
const RFC3164_STAMP = /^[A-Za-z]{3,9} +\d{1,2},?(?: +\d{4})? +\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?/;

/** The line without a byte-order mark or the line break a reader may have left on it. */
export function stripLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x0a || line.charCodeAt(end - 1) === 0x0d)) {
    end--;
  }
  return line.slice(line.charCodeAt(0) === 0xfeff ? 1 : 0, end);
}

/** Where `marker` starts the payload: at the line start or after a syslog header. */
export function findMarker(line: string, marker: string): number {
  let at = line.indexOf(marker);
  while (at > 0) {
    const before = line.charCodeAt(at - 1);
    if (before === SPACE || before === 0x3e /* '>' closing <PRI> */) return at;
    at = line.indexOf(marker, at + 1);
  }
  return at;
}

function unescapeHeader(raw: string): string {
  return raw.includes('\\') ? raw.replace(/\\([\\|])/g, '$1') : raw;
}

/**
 * Reads `count` header fields, each ending at an unescaped `|`, from `from`. `\|` and `\\`
 * are escapes; any other backslash is kept as written. Null when the line ends first.
 */
export function splitHeader(line: string, from: number, count: number) {
  const fields: string[] = [];
  let start = from;
  for (let at = from; at < line.length && fields.length < count; at++) {
    const code = line.charCodeAt(at);
    if (code === BACKSLASH) at++;
    else if (code === PIPE) {
      fields.push(unescapeHeader(line.slice(start, at)));
      start = at + 1;
    }
  }
  return fields.length === count ? { fields, end: start } : null;
}

/** Characters a key may hold: `[A-Za-z0-9_.,\[\]-]`, as a table for the hot loop. */
const KEY_CHARS = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,-[]') {
  KEY_CHARS[char.charCodeAt(0)] = 1;
}

function isKeyChar(code: number): boolean {
  return KEY_CHARS[code] === 1;
}

/**
 * Each unescaped `=` preceded by a key-shaped token that starts the text or follows a space,
 * as `[keyStart, equals, keyStart, equals, …]`.
 */
function findPairs(extension: string): number[] {
  const bounds: number[] = [];
  for (let at = extension.indexOf('='); at >= 0; at = extension.indexOf('=', at + 1)) {
    let keyStart = at;
    while (keyStart > 0 && isKeyChar(extension.charCodeAt(keyStart - 1))) keyStart--;
    const startsPair = keyStart === 0 || extension.charCodeAt(keyStart - 1) === SPACE;
    // A key never holds a backslash, so a key-shaped token before `=` also means `=` is bare.
    if (keyStart < at && startsPair) bounds.push(keyStart, at);
  }
  return bounds;
}

function trimSpaces(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && text.charCodeAt(start) === SPACE) start++;
  while (end > start && text.charCodeAt(end - 1) === SPACE) end--;
  return text.slice(start, end);
}

/** `\\`, `\=`, `\n`, `\r` are escapes; a lone backslash (`DOMAIN\user`) is kept as written. */
export function unescapeCefValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\([\\=nr])/g, (_escape, char: string) => VALUE_ESCAPES[char] ?? char);
}

/** The extension's pairs as `[key, value, key, value, …]`, values unescaped. */
function readExtension(record: NormalisedRecord, extension: string): string[] {
  const bounds = findPairs(extension);
  if (trimSpaces(extension, 0, bounds[0] ?? extension.length) !== '') {
    warn(record, 'text_without_key');
  }
  const pairs: string[] = [];
  for (let index = 0; index < bounds.length; index += 2) {
    const keyStart = bounds[index] ?? 0;
    const equals = bounds[index + 1] ?? 0;
    const end = bounds[index + 2] ?? extension.length;
    const value = unescapeCefValue(trimSpaces(extension, equals + 1, end));
    pairs.push(extension.slice(keyStart, equals), value);
  }
  return pairs;
}

/** The time stamp of the syslog header before the payload, as text, if it has one. */
export function syslogPrefixStamp(prefix: string): string | null {
  const head = prefix.slice(0, PREFIX_STAMP_SCAN).trimStart().replace(PRIORITY, '');
  const rfc5424 = RFC5424_STAMP.exec(head);
  if (rfc5424 !== null) return rfc5424[1] ?? null;
  return RFC3164_STAMP.exec(head)?.[0] ?? null;
}

/** A raw line break means the reader joined records, or a writer failed to escape (C07). */
export function flagLineBreaks(record: NormalisedRecord, text: string): void {
  if (text.includes('\n') || text.includes('\r')) warn(record, 'raw_line_break');
}

/** Without a time in the payload, the syslog header's stamp is the best the line offers. */
export function useSyslogStamp(record: NormalisedRecord, prefix: string): void {
  if (record.eventTimeText !== null) return;
  const text = syslogPrefixStamp(prefix);
  if (text === null) return;
  record.eventTimeText = text;
  record.eventTime = eventTimeFromLine(text, record.vendorFields).time;
}

/**
 * Parses one CEF line, with or without a syslog header before `CEF:`. Never throws. Given the
 * appliance's time context, a stamp without zone or year is completed at once; without it,
 * `eventTime` stays null for ingestion to complete (see event-time.ts).
 */
export function parseCef(line: string, context?: TimeContext): ParseResult {
  const text = stripLineEnd(line);
  const start = findMarker(text, MARKER);
  if (start < 0) return rejected('not CEF: no "CEF:" marker');
  const header = splitHeader(text, start + MARKER.length, HEADER_FIELDS);
  if (header === null) return rejected('CEF header has fewer than 7 fields');
  const [
    format = '',
    vendor = '',
    product = '',
    version = '',
    classId = '',
    name = '',
    severity = '',
  ] = header.fields;
  if (!VERSION.test(format)) return rejected('CEF version is not a number');

  const record = emptyRecord('cef');
  Object.assign(record, { vendor, product, version, eventClassId: classId, name });
  record.severity = normaliseSeverity(severity);
  flagLineBreaks(record, text);
  mapVendorFields(record, readExtension(record, text.slice(header.end)), []);
  useSyslogStamp(record, text.slice(0, start));
  if (context !== undefined) completeEventTime(record, context);
  return accepted(record);
}
