/**
 * `key=value` lines (firewalls, proxies, iptables) and the mapping of the field names such
 * senders commonly use onto the normalised record; JSON lines reuse that mapping.
 */
import { isIP } from 'node:net';

import { readCefStamp, stampInstant } from './cef-time.js';
import {
  accepted,
  emptyRecord,
  emptyVendorFields,
  rejected,
  warn,
  type Endpoint,
  type NormalisedRecord,
  type ParseResult,
} from './record.js';
import { isKnownTimeZone, readTimestamp, type TimeContext } from './zoned-time.js';

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface KeyValueText {
  /** Text before the first key, such as a program name; empty when the line starts with one. */
  prefix: string;
  pairs: KeyValuePair[];
}

/**
 * A key is only recognised where whitespace (or the line start) is followed by this token and
 * `=`; anything else, `=` included, stays in the value (handed case C01).
 */
const KEY_AT = /[A-Za-z0-9_.[\],@-]+(?==)/y;

function isSpace(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function skipSpaces(text: string, from: number): number {
  let index = from;
  while (index < text.length && isSpace(text, index)) index += 1;
  return index;
}

function keyAt(text: string, position: number): string | null {
  KEY_AT.lastIndex = position;
  return KEY_AT.exec(text)?.[0] ?? null;
}

/** Position of the next whitespace-preceded key at or after `from`, or the text length. */
function nextKeyStart(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    if (!isSpace(text, index)) continue;
    const start = skipSpaces(text, index + 1);
    if (keyAt(text, start) !== null) return start;
    index = start - 1;
  }
  return text.length;
}

/** `\=` is an escaped equals sign (C02); `\\` a backslash; other backslashes stay as sent. */
function unescapeBare(value: string): string {
  return value.includes('\\') ? value.replace(/\\([=\\])/g, '$1') : value;
}

function unescapeQuoted(value: string, quote: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.)/g, (escape, char: string) =>
    char === quote || char === '\\' ? char : escape,
  );
}

/** A quoted value ends at the first unescaped matching quote followed by whitespace or end. */
function readQuoted(text: string, start: number): { value: string; next: number } | null {
  const quote = text[start] ?? '';
  for (let index = start + 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') {
      index += 1;
      continue;
    }
    if (char !== quote) continue;
    if (index + 1 === text.length || isSpace(text, index + 1)) {
      return { value: unescapeQuoted(text.slice(start + 1, index), quote), next: index + 1 };
    }
  }
  return null;
}

/**
 * Where a search for each quote's closing found none: a later search for the same quote from
 * further on walks the same bytes in step and cannot find one either, so it is skipped. This
 * keeps lines like `a="x a="x a="x …` linear.
 */
type UnclosedQuotes = Map<string, number>;

function readValue(
  text: string,
  start: number,
  unclosed: UnclosedQuotes,
): { value: string; next: number } {
  const first = text[start];
  if ((first === '"' || first === "'") && start < (unclosed.get(first) ?? Infinity)) {
    const quoted = readQuoted(text, start);
    if (quoted !== null) return quoted;
    unclosed.set(first, start);
  }
  const next = nextKeyStart(text, start);
  return { value: unescapeBare(text.slice(start, next).trimEnd()), next };
}

/**
 * More fields than any real event carries. A hostile line of short repeated keys would
 * otherwise keep more text than it had (`a=` becomes `a#12345`); the rest is dropped, flagged.
 */
export const MAX_VENDOR_FIELDS = 2000;

/** Splits a line into its pairs, in order, duplicates kept; stops after `maxPairs`. */
export function readKeyValuePairs(text: string, maxPairs = Infinity): KeyValueText {
  let position = skipSpaces(text, 0);
  if (keyAt(text, position) === null) position = nextKeyStart(text, position);
  const prefix = text.slice(0, position).trim();
  const pairs: KeyValuePair[] = [];
  const unclosed: UnclosedQuotes = new Map();
  while (position < text.length && pairs.length < maxPairs) {
    const key = keyAt(text, position);
    if (key === null) break;
    const value = readValue(text, position + key.length + 1, unclosed);
    pairs.push({ key, value: value.value });
    position = skipSpaces(text, value.next);
  }
  return { prefix, pairs };
}

/** Per field set, the next suffix to try for each repeated key: n repeats cost O(n), not n². */
const nextSuffix = new WeakMap<Record<string, string>, Map<string, number>>();

/** A repeated key is kept as `key#2`, `key#3`…, so no value is lost. */
export function addVendorField(fields: Record<string, string>, key: string, value: string): void {
  if (!(key in fields)) {
    fields[key] = value;
    return;
  }
  let suffixes = nextSuffix.get(fields);
  if (suffixes === undefined) {
    suffixes = new Map();
    nextSuffix.set(fields, suffixes);
  }
  let count = suffixes.get(key) ?? 2;
  while (`${key}#${count}` in fields) count += 1;
  fields[`${key}#${count}`] = value;
  suffixes.set(key, count + 1);
}

// ---------------------------------------------------------------- common field names

type EndpointSide = 'source' | 'destination';
type TextTarget =
  | 'protocol'
  | 'action'
  | 'url'
  | 'detectionName'
  | 'ruleId'
  | 'threatType'
  | 'direction'
  | 'reason'
  | 'engine'
  | 'message';
type Target =
  | { kind: 'text'; field: TextTarget }
  | { kind: 'endpoint'; side: EndpointSide; field: keyof Endpoint }
  | { kind: 'file'; field: 'name' | 'type' | 'size' | 'sha1' | 'sha256' | 'md5' }
  | { kind: 'mail'; field: 'sender' | 'recipient' | 'subject' }
  | { kind: 'appliance'; field: 'guid' | 'host' | 'ip' }
  | { kind: 'severity' }
  | { kind: 'vlan' };

const textField = (field: TextTarget): Target => ({ kind: 'text', field });
const endpoint = (side: EndpointSide, field: keyof Endpoint): Target => ({
  kind: 'endpoint',
  side,
  field,
});

/** Names as senders write them, lower case without `_`, `-`, `.` or `@` (see normaliseName). */
const NAME_TARGETS: [string[], Target][] = [
  [
    ['src', 'srcip', 'srcaddr', 'sourceip', 'sourceaddress', 'saddr', 'clientip'],
    endpoint('source', 'ip'),
  ],
  [
    [
      'dst',
      'dstip',
      'dstaddr',
      'dest',
      'destip',
      'destinationip',
      'destinationaddress',
      'daddr',
      'serverip',
    ],
    endpoint('destination', 'ip'),
  ],
  [['sport', 'spt', 'srcport', 'sourceport', 'clientport'], endpoint('source', 'port')],
  [
    ['dport', 'dpt', 'dstport', 'destport', 'destinationport', 'serverport'],
    endpoint('destination', 'port'),
  ],
  [
    ['shost', 'srchost', 'sourcehost', 'sourcehostname', 'srcname', 'clienthost'],
    endpoint('source', 'host'),
  ],
  [
    ['dhost', 'dsthost', 'desthost', 'destinationhost', 'destinationhostname', 'dstname'],
    endpoint('destination', 'host'),
  ],
  [['smac', 'srcmac', 'sourcemac'], endpoint('source', 'mac')],
  [['dmac', 'dstmac', 'destmac', 'destinationmac'], endpoint('destination', 'mac')],
  [
    ['user', 'username', 'usrname', 'suser', 'srcuser', 'sourceuser', 'sourceusername'],
    endpoint('source', 'account'),
  ],
  [
    ['duser', 'dstuser', 'destinationuser', 'destinationusername'],
    endpoint('destination', 'account'),
  ],
  [['srczone', 'fromzone', 'sourcezone'], endpoint('source', 'zone')],
  [['dstzone', 'tozone', 'destinationzone'], endpoint('destination', 'zone')],
  [['srcgroup', 'sourcegroup'], endpoint('source', 'group')],
  [['dstgroup', 'destinationgroup'], endpoint('destination', 'group')],
  [['proto', 'protocol', 'networkprotocol'], textField('protocol')],
  [['action', 'act', 'eventaction'], textField('action')],
  [['url', 'request', 'uri', 'urlfull', 'urloriginal'], textField('url')],
  [
    [
      'attack',
      'attackname',
      'signature',
      'threat',
      'threatname',
      'virus',
      'virusname',
      'malware',
      'malwarename',
      'detectionname',
    ],
    textField('detectionName'),
  ],
  [['ruleid', 'rule', 'policyid', 'signatureid', 'sid'], textField('ruleId')],
  [['threattype', 'threatcategory', 'attacktype'], textField('threatType')],
  [['direction', 'dir', 'devicedirection', 'networkdirection'], textField('direction')],
  [['reason'], textField('reason')],
  [['engine'], textField('engine')],
  [['msg', 'message'], textField('message')],
  [['fname', 'filename', 'file'], { kind: 'file', field: 'name' }],
  [['ftype', 'filetype'], { kind: 'file', field: 'type' }],
  [['fsize', 'filesize'], { kind: 'file', field: 'size' }],
  [['sha1', 'filesha1', 'filehashsha1'], { kind: 'file', field: 'sha1' }],
  [['sha256', 'filesha256', 'filehash', 'filehashsha256'], { kind: 'file', field: 'sha256' }],
  [['md5', 'filemd5', 'filehashmd5'], { kind: 'file', field: 'md5' }],
  [['sender', 'mailfrom'], { kind: 'mail', field: 'sender' }],
  [['recipient', 'rcpt', 'mailto'], { kind: 'mail', field: 'recipient' }],
  [['subject', 'mailsubject'], { kind: 'mail', field: 'subject' }],
  [
    ['devname', 'dvchost', 'devhost', 'devicehostname', 'observerhostname'],
    { kind: 'appliance', field: 'host' },
  ],
  [['dvc', 'devip', 'deviceip', 'deviceaddress', 'observerip'], { kind: 'appliance', field: 'ip' }],
  [['devid', 'deviceguid', 'deviceexternalid', 'guid'], { kind: 'appliance', field: 'guid' }],
  [['severity', 'sev', 'level', 'eventseverity', 'logseverity'], { kind: 'severity' }],
  [['vlan', 'vlanid'], { kind: 'vlan' }],
];

const TARGETS: ReadonlyMap<string, Target> = new Map(
  NAME_TARGETS.flatMap(([names, target]) => names.map((name): [string, Target] => [name, target])),
);

const NORMALISED_NAME_CACHE_LIMIT = 10_000;
const normalisedNames = new Map<string, string>();

/** Names that hold the event time, best first; `date` + `time` are joined separately. */
const TIME_NAMES = ['timestamp', 'eventtime', 'datetime', 'rt', 'ts', 'time', 'start'];

/** The name's words joined, so `src_ip`, `srcIp`, `source.ip` and `src-ip` read alike. */
export function normaliseName(name: string): string {
  const known = normalisedNames.get(name);
  if (known !== undefined) return known;
  const normalised = name.toLowerCase().replace(/[_.@-]/g, '');
  // The same few names recur on every line of a file; the bound keeps hostile keys harmless.
  if (normalisedNames.size >= NORMALISED_NAME_CACHE_LIMIT) normalisedNames.clear();
  normalisedNames.set(name, normalised);
  return normalised;
}

const SEVERITY_WORDS: ReadonlyMap<string, number> = new Map([
  ['emergency', 10],
  ['emerg', 10],
  ['alert', 9],
  ['critical', 8],
  ['crit', 8],
  ['high', 8],
  ['error', 7],
  ['err', 7],
  ['major', 7],
  ['medium', 6],
  ['warning', 5],
  ['warn', 5],
  ['minor', 4],
  ['low', 4],
  ['notice', 3],
  ['notification', 3],
  ['informational', 1],
  ['information', 1],
  ['info', 1],
  ['debug', 0],
  ['none', 0],
]);

/** 0-10 as given; words by the usual ladder (high 8, medium 6, low 4, info 1). */
export function severityLevel(value: string): number | null {
  const trimmed = value.trim().toLowerCase();
  if (/^\d{1,2}$/.test(trimmed)) {
    const number = Number(trimmed);
    return number <= 10 ? number : null;
  }
  return SEVERITY_WORDS.get(trimmed) ?? null;
}

function portOf(value: string): number | null {
  if (!/^\d{1,5}$/.test(value.trim())) return null;
  const port = Number(value);
  return port <= 65535 ? port : null;
}

function sizeOf(value: string): number | null {
  return /^\d{1,15}$/.test(value.trim()) ? Number(value) : null;
}

function setEndpoint(
  record: NormalisedRecord,
  side: EndpointSide,
  field: keyof Endpoint,
  value: string,
): void {
  const target = record[side];
  if (field === 'port') {
    target.port ??= portOf(value);
    return;
  }
  // A sender that writes a name where an address belongs gave us the host.
  const slot = field === 'ip' && isIP(value) === 0 ? 'host' : field;
  target[slot] ??= value;
}

function applyTarget(record: NormalisedRecord, target: Target, value: string): void {
  switch (target.kind) {
    case 'text':
      if (record[target.field] == null) record[target.field] = value;
      return;
    case 'endpoint':
      setEndpoint(record, target.side, target.field, value);
      return;
    case 'file':
      if (target.field === 'size') record.file.size ??= sizeOf(value);
      else record.file[target.field] ??= value;
      return;
    case 'mail':
      record.mail[target.field] ??= value;
      return;
    case 'appliance':
      record.appliance[target.field] ??= value;
      return;
    case 'severity':
      if (record.severity.original !== null) return;
      record.severity = { level: severityLevel(value), original: value };
      return;
    case 'vlan':
      record.vlan ??= /^\d{1,4}$/.test(value.trim()) ? Number(value) : null;
      return;
  }
}

/** Vendor fields by normalised name; the first of several that normalise alike wins. */
type FieldIndex = ReadonlyMap<string, string>;

function indexFields(entries: Iterable<readonly [string, string]>): FieldIndex {
  const index = new Map<string, string>();
  for (const [key, value] of entries) {
    const name = normaliseName(key);
    if (!index.has(name)) index.set(name, value);
  }
  return index;
}

interface FoundTime {
  text: string;
  time: Date | null;
}

function applianceZone(context: TimeContext): string {
  const zone = context.timeZone;
  return zone !== undefined && isKnownTimeZone(zone) ? zone : 'UTC';
}

/** Fortinet and others split the stamp into `date=` and `time=`, with the zone in `tz=`. */
function dateAndTime(index: FieldIndex, context: TimeContext): FoundTime | null {
  const date = index.get('date');
  const time = index.get('time');
  if (date === undefined || time === undefined) return null;
  const zoneText = index.get('tz')?.trim() ?? '';
  const offset = /^[+-]\d{2}:?\d{2}$/.test(zoneText) ? zoneText : '';
  const zone = offset === '' && isKnownTimeZone(zoneText) ? zoneText : applianceZone(context);
  const read = readTimestamp(`${date.trim()}T${time.trim()}${offset}`, zone);
  return { text: `${date} ${time}`, time: read?.time ?? null };
}

/** Epoch in any unit and ISO 8601 first, then the month-first forms CEF senders also use. */
function readAnyStamp(text: string, context: TimeContext): Date | null {
  const zone = applianceZone(context);
  const read = readTimestamp(text, zone);
  if (read !== null) return read.time;
  const stamp = readCefStamp(text);
  if (stamp === null) return null;
  return stampInstant(stamp, { timeZone: zone, receiveTime: context.receiveTime });
}

/** The first time field that reads as an instant, else the first one's text, unread. */
function timeFromField(index: FieldIndex, context: TimeContext): FoundTime | null {
  let unreadable: FoundTime | null = null;
  for (const name of TIME_NAMES) {
    const value = index.get(name);
    if (value === undefined) continue;
    const time = readAnyStamp(value, context);
    if (time !== null) return { text: value, time };
    unreadable ??= { text: value, time: null };
  }
  return unreadable;
}

/** A single time field (often epoch, zone-free) first, then `date` + `time`. */
function applyEventTime(record: NormalisedRecord, index: FieldIndex, context: TimeContext): void {
  const single = timeFromField(index, context);
  const joined = dateAndTime(index, context);
  const found = single?.time ? single : joined?.time ? joined : (joined ?? single);
  if (found === null) return;
  record.eventTimeText = found.text;
  // As for every format (C09): a stamp naming no instant leaves the receive time, flagged.
  record.eventTime = found.time ?? context.receiveTime;
  if (found.time === null) warn(record, 'timestamp_invalid');
}

/**
 * Fills record fields from vendor fields with common names (the first one found wins) and the
 * event time from the usual time fields; an unreadable time is kept as text and flagged, and
 * the receive time stands in for it.
 * `entries` are the vendor fields in order, when the caller has them at hand.
 */
export function applyCommonFields(
  record: NormalisedRecord,
  context: TimeContext,
  entries: Iterable<readonly [string, string]> = Object.entries(record.vendorFields),
): void {
  const index = indexFields(entries);
  for (const [name, value] of index) {
    const target = TARGETS.get(name);
    if (target !== undefined && value !== '') applyTarget(record, target, value);
  }
  applyEventTime(record, index, context);
}

/** A line of `key=value` pairs, optionally after some free text. */
export function parseKeyValue(line: string, context: TimeContext): ParseResult {
  const { prefix, pairs } = readKeyValuePairs(line, MAX_VENDOR_FIELDS + 1);
  if (pairs.length === 0) return rejected('no key=value pairs');
  const record = emptyRecord('kv');
  if (pairs.length > MAX_VENDOR_FIELDS) {
    pairs.length = MAX_VENDOR_FIELDS;
    warn(record, 'too_many_fields');
  }
  const fields = emptyVendorFields();
  for (const pair of pairs) addVendorField(fields, pair.key, pair.value);
  record.vendorFields = fields;
  // The pairs in order: cheaper to walk than the vendor fields' dictionary, same first-wins.
  applyCommonFields(
    record,
    context,
    pairs.map((pair) => [pair.key, pair.value] as const),
  );
  if (prefix !== '' && record.message === undefined) record.message = prefix;
  return accepted(record);
}
