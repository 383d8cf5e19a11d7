/**
 * IBM's Log Event Extended Format, as Deep Discovery Inspector and Deep Security write it:
 * `LEEF:1.0|Vendor|Product|Version|EventID|` then TAB-separated `key=value` attributes, and
 * `LEEF:2.0|…|EventID|Delimiter|` with the delimiter as one character or hex (`^`, `x09`,
 * `0x5E`). Header fields follow CEF's rules; attribute values have no escapes in LEEF.
 */
import { findMarker, flagLineBreaks, splitHeader, stripLineEnd, useSyslogStamp } from './cef.js';
import { mapVendorFields, normaliseSeverity } from './cef-fields.js';
import { completeEventTime } from './event-time.js';
import {
  type NormalisedRecord,
  type ParseResult,
  type RecordFormat,
  accepted,
  emptyRecord,
  rejected,
  warn,
} from './record.js';
import type { TimeContext } from './zoned-time.js';

const MARKER = 'LEEF:';
const HEADER_FIELDS = 5;
const TAB = '\t';
const HEX_DELIMITER = /^0?[xX]([0-9a-fA-F]{1,4})$/;
const VERSIONS: ReadonlyMap<string, RecordFormat> = new Map([
  ['1', 'leef1'],
  ['1.0', 'leef1'],
  ['2', 'leef2'],
  ['2.0', 'leef2'],
]);

interface Attributes {
  text: string;
  delimiter: string;
}

function delimiterFrom(spec: string): string | null {
  if (spec.length === 1) return spec;
  const hex = HEX_DELIMITER.exec(spec)?.[1];
  return hex === undefined ? null : String.fromCharCode(parseInt(hex, 16));
}

/**
 * LEEF 2.0's delimiter field is nominally required, but some products leave it out (handed
 * case C08): a field holding `=` is already the first attribute, and TAB is meant.
 */
function leef2Attributes(record: NormalisedRecord, rest: string): Attributes {
  const close = rest.indexOf('|');
  const spec = close < 0 ? null : rest.slice(0, close);
  if (spec === null || spec.includes('=')) return { text: rest, delimiter: TAB };
  const after = rest.slice(close + 1);
  if (spec === '') return { text: after, delimiter: TAB };
  const delimiter = delimiterFrom(spec);
  if (delimiter === null || delimiter === '=') {
    warn(record, 'leef_delimiter_unreadable');
    return { text: after, delimiter: TAB };
  }
  return { text: after, delimiter };
}

/** The attributes as `[key, value, key, value, …]`. */
function readAttributes(record: NormalisedRecord, { text, delimiter }: Attributes): string[] {
  const pairs: string[] = [];
  for (const piece of text.split(delimiter)) {
    const equals = piece.indexOf('=');
    const key = equals < 0 ? '' : piece.slice(0, equals).trim();
    if (key !== '') {
      pairs.push(key, piece.slice(equals + 1).trim());
      continue;
    }
    if (piece.trim() === '') continue;
    warn(record, 'text_without_key');
    // A delimiter inside a value (seen where documentation wrapped lines): keep it there.
    if (equals < 0 && pairs.length > 0) pairs.push(`${pairs.pop() ?? ''}${delimiter}${piece}`);
  }
  return pairs;
}

/** The `name` attribute (Deep Security's event name); the last one, as for every key. */
function nameAttribute(pairs: readonly string[]): string | null {
  for (let index = pairs.length - 2; index >= 0; index -= 2) {
    if (pairs[index] === 'name') return pairs[index + 1] ?? null;
  }
  return null;
}

/**
 * Parses one LEEF 1.0 or 2.0 line, with or without a syslog header. Never throws. The time
 * context works as for parseCef.
 */
export function parseLeef(line: string, context?: TimeContext): ParseResult {
  const text = stripLineEnd(line);
  const start = findMarker(text, MARKER);
  if (start < 0) return rejected('not LEEF: no "LEEF:" marker');
  const header = splitHeader(text, start + MARKER.length, HEADER_FIELDS);
  if (header === null) return rejected('LEEF header has fewer than 5 fields');
  const [version = '', vendor = '', product = '', productVersion = '', eventId = ''] =
    header.fields;
  const format = VERSIONS.get(version.trim());
  if (format === undefined) return rejected('LEEF version is neither 1.0 nor 2.0');

  const record = emptyRecord(format);
  Object.assign(record, { vendor, product, version: productVersion, eventClassId: eventId });
  flagLineBreaks(record, text);
  const rest = text.slice(header.end);
  const attributes =
    format === 'leef2' ? leef2Attributes(record, rest) : { text: rest, delimiter: TAB };
  const pairs = readAttributes(record, attributes);
  record.name = nameAttribute(pairs);
  const lookup = mapVendorFields(record, pairs, ['msg']);
  const severity = lookup(['sev', 'severity']);
  if (severity !== null) record.severity = normaliseSeverity(severity);
  useSyslogStamp(record, text.slice(0, start));
  if (context !== undefined) completeEventTime(record, context);
  return accepted(record);
}
