/**
 * Which record field each of the names senders commonly use fills. JSON lines and key=value
 * share these names, so that `src_ip`, `srcIp` and `source.ip` all fill the source address.
 */
import type { Endpoint } from './record.js';

export type EndpointSide = 'source' | 'destination';
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
export type Target =
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

export const TARGETS: ReadonlyMap<string, Target> = new Map(
  NAME_TARGETS.flatMap(([names, target]) => names.map((name): [string, Target] => [name, target])),
);

const NORMALISED_NAME_CACHE_LIMIT = 10_000;
const normalisedNames = new Map<string, string>();

/** Names that hold the event time, best first; `date` + `time` are joined separately. */
export const TIME_NAMES = ['timestamp', 'eventtime', 'datetime', 'rt', 'ts', 'time', 'start'];

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

/** Vendor fields by normalised name; the first of several that normalise alike wins. */
export type FieldIndex = ReadonlyMap<string, string>;

export function indexFields(entries: Iterable<readonly [string, string]>): FieldIndex {
  const index = new Map<string, string>();
  for (const [key, value] of entries) {
    const name = normaliseName(key);
    if (!index.has(name)) index.set(name, value);
  }
  return index;
}
