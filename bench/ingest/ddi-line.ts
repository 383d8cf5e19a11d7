import type { NewDetection } from '../../src/ingest/lines.js';
import type { DetectionSpec } from './world.js';

const HEADER = 'CEF:0|Trend Micro|Deep Discovery Inspector|6.0.1208';
const SENSOR = { ip: '10.20.255.2', name: 'ddi01', guid: '6B593E17-AFB7-40FB-BB28-A4CE0462A536' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DIRECTIONS: Readonly<Record<DetectionSpec['direction'], string>> = {
  '0': 'inbound',
  '1': 'outbound',
  '2': 'unknown',
};
const DETECTION_TYPES: Readonly<Record<DetectionSpec['detectionType'], string>> = {
  'Known Threat': 'known',
  'Potential Threat': 'potential',
  OCS: 'ocs',
};

/** Where the rows of a fill belong. */
export interface RowOwner {
  customerId: number;
  productId: number;
  receivedFileId: number;
}

/** `Mar 01 2025 09:00:00 GMT+00:00`, the way DDI writes `rt`. */
function ddiTime(time: number): string {
  const at = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[at.getUTCMonth()] ?? 'Jan'} ${two(at.getUTCDate())} ${at.getUTCFullYear()} ` +
    `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} GMT+00:00`
  );
}

/** Inbound traffic comes from the outside peer; outbound and unknown leave the host. */
function sides(spec: DetectionSpec) {
  const host = { ...spec.host, port: spec.hostPort };
  const peer = { ...spec.peer, port: spec.peerPort };
  return spec.direction === '0' ? { source: peer, target: host } : { source: host, target: peer };
}

/** The extension's key=value pairs in DDI's order, values unescaped. */
function extension(spec: DetectionSpec): Array<readonly [string, string]> {
  const { source, target } = sides(spec);
  const pairs: Array<readonly [string, string]> = [
    ['rt', ddiTime(spec.time)],
    ['dvc', SENSOR.ip],
    ['dvchost', SENSOR.name],
    ['deviceExternalId', SENSOR.guid],
    ['pComp', 'NCIE'],
    ['app', spec.protocol],
    ['deviceDirection', spec.direction],
    ['shost', source.name],
    ['src', source.ip],
    ['spt', String(source.port)],
    ['dhost', target.name],
    ['dst', target.ip],
    ['dpt', String(target.port)],
    ['act', spec.action],
    ['malName', spec.threat],
    ['malType', spec.threatType],
    ['detectionType', spec.detectionType],
    ['cs1Label', 'Potential Risk'],
    ['cs1', spec.detectionType === 'Known Threat' ? '0' : '1'],
    ['cn1Label', 'VLAN ID'],
    ['cn1', '4095'],
  ];
  if (spec.url !== null) pairs.push(['request', spec.url]);
  if (spec.fileName !== null) pairs.push(['fname', spec.fileName]);
  if (spec.fileSha1 !== null) pairs.push(['fileHash', spec.fileSha1]);
  return pairs;
}

function escapeValue(value: string): string {
  return value.replace(/[\\=]/g, (char) => `\\${char}`);
}

/** The line a DDI sensor writes for the detection (no line end). */
export function ddiLine(spec: DetectionSpec): string {
  const pairs = extension(spec)
    .map(([key, value]) => `${key}=${escapeValue(value)}`)
    .join(' ');
  return `${HEADER}|${spec.ruleId}|${spec.ruleName}|${spec.severity}|${pairs}`;
}

/** The vendor fields ingestion keeps: every pair, plus each custom field under its label. */
function vendorFields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const fields: Record<string, string> = Object.fromEntries(pairs);
  fields['Potential Risk'] = fields['cs1'] ?? '';
  fields['VLAN ID'] = fields['cn1'] ?? '';
  return JSON.stringify(fields);
}

/**
 * The row ingestion stores for the line, built without parsing it: filling millions of rows
 * for the threat-profile benchmark must not take as long as ingesting them. The ingest
 * benchmark checks that it agrees with what ingestion makes of ddiLine(spec).
 */
export function detectionRow(
  spec: DetectionSpec,
  owner: RowOwner,
  lineOffset: number,
  receiveTime: number,
): NewDetection {
  const { source, target } = sides(spec);
  // Named one by one: a spread in front of thirty properties makes a slow dictionary object.
  return {
    customerId: owner.customerId,
    productId: owner.productId,
    receivedFileId: owner.receivedFileId,
    lineOffset,
    eventTime: spec.time,
    receiveTime,
    skewSeconds: null,
    format: 'cef',
    truncated: 0,
    warnings: null,
    vendorFields: vendorFields(extension(spec)),
    raw: ddiLine(spec),
    severity: spec.severity,
    detectionName: spec.threat,
    detectionType: DETECTION_TYPES[spec.detectionType],
    threatType: spec.threatType,
    engine: 'NCIE',
    direction: DIRECTIONS[spec.direction],
    protocol: spec.protocol,
    ruleId: null,
    action: spec.action,
    sourceIp: source.ip,
    sourceHost: source.name,
    destinationIp: target.ip,
    destinationHost: target.name,
    affectedHost: spec.host.name,
    url: spec.url,
    fileName: spec.fileName,
    fileSha256: null,
  };
}
