/**
 * The CEF dictionary (ArcSight short and long key names) and the names Trend Micro's Deep
 * Discovery and Deep Security products use in CEF and LEEF, mapped onto the normalised record.
 * Keys are compared without case or punctuation, so `vLANId`, `vlanid` and a custom label
 * `VLAN ID` are one name; the first listed name with a non-empty value wins.
 */
import { eventTimeFromLine } from './event-time.js';
import {
  type DetectionType,
  type Endpoint,
  type NormalisedRecord,
  type Severity,
  warn,
} from './record.js';

/** The value of the first of `names` (in normal form) that the line has, non-empty. */
export type Lookup = (names: readonly string[]) => string | null;
type EndpointNames = Record<keyof Endpoint, readonly string[]> & {
  /** In mail events `suser` / `duser` are the sender and recipients, not directory accounts. */
  accountInMail: readonly string[];
};

/** `cs1` is named by `cs1Label`, and so on for every custom field family. */
const CUSTOM_FIELD = new RegExp(
  '^(cs|cn|cfp|c6a|flexString|flexNumber|flexDate|deviceCustomString|deviceCustomNumber|' +
    'deviceCustomFloatingPoint|deviceCustomIPv6Address|deviceCustomDate)\\d+$',
);

const TIME = ['rt', 'devtime', 'receipttime', 'devicereceipttime', 'start', 'starttime', 'end'];
const DETECTION_NAME = [
  'malname',
  'malwarename',
  'threatname',
  'virusname',
  'detectionname',
  'threats',
  'rulename',
];
const SOURCE: EndpointNames = {
  host: ['shost', 'sourcehostname', 'srchost'],
  ip: ['src', 'sourceaddress', 'srcip', 'srcipv6', 'sourceipv6address'],
  port: ['spt', 'sourceport', 'srcport'],
  mac: ['smac', 'sourcemacaddress', 'srcmac'],
  group: ['srcgroup', 'sourcegroup'],
  zone: ['srczone', 'sourcezone'],
  account: ['suser', 'sourceusername', 'usrname', 'suser1'],
  accountInMail: ['usrname', 'suser1'],
};
const DESTINATION: EndpointNames = {
  host: ['dhost', 'destinationhostname', 'dsthost'],
  ip: ['dst', 'destinationaddress', 'dstip', 'dstipv6', 'destinationipv6address'],
  port: ['dpt', 'destinationport', 'dstport'],
  mac: ['dmac', 'destinationmacaddress', 'dstmac'],
  group: ['dstgroup', 'destinationgroup'],
  zone: ['dstzone', 'destinationzone'],
  account: ['duser', 'destinationusername', 'duser1'],
  accountInMail: ['duser1'],
};
const MAIL_SENDER = ['sendermail', 'mailsender', 'sender'];
const MAIL_RECIPIENT = ['rcptmail', 'mailrecipient', 'recipient'];
const MAIL_PROTOCOLS = new Set(['smtp', 'smtps', 'esmtp', 'pop3', 'pop3s', 'imap', 'imap4']);
const SEVERITY_WORDS: ReadonlyMap<string, number | null> = new Map([
  ['unknown', null],
  ['info', 1],
  ['informational', 1],
  ['low', 3],
  ['medium', 6],
  ['high', 8],
  ['veryhigh', 10],
  ['critical', 10],
]);
/** CEF `deviceDirection` and DDI's: 0 source outside (inbound), 1 source inside, 2 unknown. */
const DIRECTIONS: ReadonlyMap<string, string> = new Map([
  ['0', 'inbound'],
  ['1', 'outbound'],
  ['2', 'unknown'],
]);
const DETECTION_TYPES: ReadonlyMap<string, DetectionType> = new Map([
  ['known', 'known'],
  ['knownthreat', 'known'],
  ['potential', 'potential'],
  ['potentialthreat', 'potential'],
  ['ocs', 'ocs'],
]);
const HASH_BY_LENGTH: ReadonlyMap<number, 'md5' | 'sha1' | 'sha256'> = new Map([
  [32, 'md5'],
  [40, 'sha1'],
  [64, 'sha256'],
]);

const normalisedKeys = new Map<string, string>();
/** Keys come from the wire: the cache of their normal forms is emptied rather than grown. */
const NORMALISED_KEYS_LIMIT = 4096;
const LABEL_SUFFIX = 'Label';

function normaliseKey(key: string): string {
  let name = normalisedKeys.get(key);
  if (name !== undefined) return name;
  name = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (normalisedKeys.size >= NORMALISED_KEYS_LIMIT) normalisedKeys.clear();
  normalisedKeys.set(key, name);
  return name;
}

/** Stores the pairs as vendor fields; returns the custom fields' labels as [key, label, …]. */
function storePairs(record: NormalisedRecord, pairs: readonly string[]): string[] {
  const fields = record.vendorFields;
  const labels: string[] = [];
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const key = pairs[index] ?? '';
    const value = pairs[index + 1] ?? '';
    if (key in fields) warn(record, 'duplicate_key');
    fields[key] = value;
    if (key.endsWith(LABEL_SUFFIX)) labels.push(key.slice(0, -LABEL_SUFFIX.length), value.trim());
  }
  return labels;
}

/**
 * Adds each labelled custom field under its label (`cs1Label=threats cs1=X` gives
 * `threats=X`), keeping the originals. A label never replaces a key the line really has.
 */
function addLabelledFields(record: NormalisedRecord, labels: readonly string[]): string[] {
  const fields = record.vendorFields;
  const added: string[] = [];
  for (let index = 0; index + 1 < labels.length; index += 2) {
    const key = labels[index] ?? '';
    const label = labels[index + 1] ?? '';
    const value = fields[key];
    if (value === undefined || label === '' || !CUSTOM_FIELD.test(key)) continue;
    if (label in fields) {
      warn(record, 'custom_label_collides');
      continue;
    }
    fields[label] = value;
    added.push(label);
  }
  return added;
}

function addByName(byName: Map<string, string>, key: string, value: string | undefined): void {
  const name = normaliseKey(key);
  if (value !== undefined && value !== '' && !byName.has(name)) byName.set(name, value);
}

/** Looks keys up by normal form: keys of the line in line order first, then labels. */
function lookupIn(
  fields: Record<string, string>,
  pairs: readonly string[],
  labelled: readonly string[],
): Lookup {
  const byName = new Map<string, string>();
  for (let index = 0; index < pairs.length; index += 2) {
    const key = pairs[index] ?? '';
    addByName(byName, key, fields[key]);
  }
  for (const label of labelled) addByName(byName, label, fields[label]);
  return (names) => {
    for (const name of names) {
      const value = byName.get(name);
      if (value !== undefined) return value;
    }
    return null;
  };
}

/** 0-10 from a number or the CEF words (Low, Medium, High, Very-High); else unknown. */
export function normaliseSeverity(text: string): Severity {
  const trimmed = text.trim();
  if (/^\d{1,2}$/.test(trimmed) && Number(trimmed) <= 10) {
    return { level: Number(trimmed), original: text };
  }
  const level = SEVERITY_WORDS.get(normaliseKey(trimmed));
  return { level: level ?? null, original: text };
}

function integerIn(text: string | null, max: number): number | null {
  if (text === null || !/^\d{1,10}$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value <= max ? value : null;
}

function endpoint(lookup: Lookup, names: EndpointNames, mail: boolean): Endpoint {
  return {
    host: lookup(names.host),
    ip: lookup(names.ip),
    port: integerIn(lookup(names.port), 65_535),
    mac: lookup(names.mac),
    group: lookup(names.group),
    zone: lookup(names.zone),
    account: lookup(mail ? names.accountInMail : names.account),
  };
}

function isMailEvent(record: NormalisedRecord): boolean {
  const protocol = normaliseKey(record.protocol ?? '');
  return MAIL_PROTOCOLS.has(protocol) || /mail/i.test(record.product ?? '');
}

function mapFile(record: NormalisedRecord, lookup: Lookup): void {
  const file = record.file;
  file.name = lookup(['fname', 'filename', 'filepath']);
  file.type = lookup(['filetype']);
  file.size = integerIn(lookup(['fsize', 'filesize']), Number.MAX_SAFE_INTEGER);
  file.sha1 = lookup(['sha1', 'filesha1']);
  file.sha256 = lookup(['sha256', 'filesha256']);
  file.md5 = lookup(['md5', 'filemd5']);
  // `fileHash` is SHA-1 in Deep Discovery but other products put MD5 there: tell by length.
  const hash = lookup(['filehash'])?.trim() ?? '';
  const kind = HASH_BY_LENGTH.get(hash.length);
  if (kind !== undefined && /^[0-9a-f]+$/i.test(hash)) file[kind] ??= hash;
}

function mapParties(record: NormalisedRecord, lookup: Lookup): void {
  const mail = isMailEvent(record);
  record.source = endpoint(lookup, SOURCE, mail);
  record.destination = endpoint(lookup, DESTINATION, mail);
  record.mail = {
    sender: lookup(MAIL_SENDER) ?? (mail ? lookup(['suser', 'sourceusername']) : null),
    recipient: lookup(MAIL_RECIPIENT) ?? (mail ? lookup(['duser', 'destinationusername']) : null),
    subject: lookup(['mailmsgsubject', 'mailsubject', 'subject']),
  };
  record.appliance = {
    guid: lookup(['deviceexternalid', 'deviceguid']),
    host: lookup(['dvchost', 'devicehostname']),
    ip: lookup(['dvc', 'deviceaddress']),
  };
}

function detectionName(record: NormalisedRecord, lookup: Lookup, fallbacks: readonly string[]) {
  const named = lookup(DETECTION_NAME);
  if (named !== null) return named;
  return record.name !== null && record.name.trim() !== '' ? record.name : lookup(fallbacks);
}

function mapDetection(record: NormalisedRecord, lookup: Lookup, fallbacks: readonly string[]) {
  record.detectionName = detectionName(record, lookup, fallbacks);
  record.engine = lookup(['pcomp', 'engine', 'detectionengine']);
  const direction = lookup(['devicedirection', 'direction']);
  record.direction = direction === null ? null : (DIRECTIONS.get(direction.trim()) ?? direction);
  record.threatType = lookup(['threattype', 'maltype']);
  const detectionType = lookup(['detectiontype']);
  record.detectionType = DETECTION_TYPES.get(normaliseKey(detectionType ?? '')) ?? null;
  record.ruleId = lookup(['ruleid']);
  record.reason = lookup(['reason', 'detectionreason']);
  record.action = lookup(['act', 'action']);
  record.url = lookup(['request', 'url', 'requesturl']);
  record.vlan = integerIn(lookup(['vlanid', 'vlan']), 4095);
}

function mapEventTime(record: NormalisedRecord, lookup: Lookup): void {
  const text = lookup(TIME);
  if (text === null) return;
  const { readable, time } = eventTimeFromLine(text, record.vendorFields);
  record.eventTimeText = text;
  record.eventTime = time;
  if (!readable) warn(record, 'timestamp_invalid');
}

/**
 * Stores a line's `[key, value, key, value, …]` pairs as vendor fields and fills the record
 * from them; the header fields (vendor, product, name) must already be set. The detection name
 * is a threat or rule name when the line has one, else the record's name, else the first of
 * `nameFallbacks` (LEEF has no name in its header).
 */
export function mapVendorFields(
  record: NormalisedRecord,
  pairs: readonly string[],
  nameFallbacks: readonly string[],
): Lookup {
  const labelled = addLabelledFields(record, storePairs(record, pairs));
  const lookup = lookupIn(record.vendorFields, pairs, labelled);
  record.protocol = lookup(['app', 'proto', 'protocol']);
  mapDetection(record, lookup, nameFallbacks);
  mapParties(record, lookup);
  mapFile(record, lookup);
  mapEventTime(record, lookup);
  return lookup;
}
