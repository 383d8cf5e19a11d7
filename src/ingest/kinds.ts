import type { Endpoint, NormalisedRecord } from './parsers/record.js';

/**
 * What a parsed line is. The rule, decided by the product that wrote the line and the event
 * class it gave, never by the event's name (names are free text and differ by version):
 *
 * 1. Trend Micro network sensors (Threat Discovery Appliance, Deep Discovery Inspector) and
 *    Threat Mitigators: their event class ids below. A numeric class id of a sensor that is not
 *    in the table is a detection rule id (DDI's CEF threat logs carry the rule id there).
 * 2. Suricata EVE: `event_type` alert is a detection; every other event type is network
 *    activity.
 * 3. Any other product: a detection when the line names a threat type or a detection type.
 * 4. Plain syslog otherwise: a syslog event (its priority is urgency, not a threat verdict).
 * 5. Any other product writing CEF or LEEF, key=value or JSON: a detection when its severity is
 *    7 or more (high / very high on the 0–10 scale); else an event of its vendor.
 *
 * Everything that is not a detection is an other event of one of these kinds, counted and
 * retained by kind.
 */
export type OtherKind =
  | 'application-filter'
  | 'url-filtering'
  | 'security-compliance'
  | 'network-configuration'
  | 'mitigation'
  | 'system'
  | 'network-activity'
  | 'vendor-event'
  | 'syslog';

export type EventKind = 'detection' | OtherKind;

export const OTHER_KINDS: readonly OtherKind[] = [
  'application-filter',
  'url-filtering',
  'security-compliance',
  'network-configuration',
  'mitigation',
  'system',
  'network-activity',
  'vendor-event',
  'syslog',
];

const TREND_SENSOR_CLASSES: ReadonlyMap<string, EventKind> = new Map([
  ['SECURITY_RISK_DETECTION', 'detection'],
  ['THREAT_DETECTION', 'detection'],
  ['OCS', 'detection'],
  ['VIRTUAL_ANALYZER_DETECTION', 'detection'],
  ['100120', 'application-filter'],
  ['DISRUPTIVE_APPLICATION_DETECTION', 'application-filter'],
  ['APPLICATION_FILTER', 'application-filter'],
  ['URL_FILTERING', 'url-filtering'],
  ['SECURITY_COMPLIANCE', 'security-compliance'],
  ['MONITORED_NETWORK', 'network-configuration'],
  ['REGISTERED_DOMAIN', 'network-configuration'],
  ['REGISTERED_SERVICE', 'network-configuration'],
  ['300999', 'system'],
  ['SYSTEM_EVENT', 'system'],
]);

const MITIGATOR_CLASSES: ReadonlyMap<string, EventKind> = new Map([
  ['MITIGATION', 'mitigation'],
  ['ENDPOINT_ASSESSMENT', 'mitigation'],
  ['CLEANUP', 'mitigation'],
  ['UNRESOLVED_THREAT', 'mitigation'],
  ['SYSTEM_EVENT', 'system'],
]);

const HIGH_SEVERITY = 7;
const NUMERIC_CLASS = /^\d{1,9}$/;

export function eventKind(record: NormalisedRecord): EventKind {
  const product = (record.product ?? '').toLowerCase();
  const classId = (record.eventClassId ?? '').trim().toUpperCase();

  if (isTrendVendor(record) && isTrendSensor(product)) {
    return (
      TREND_SENSOR_CLASSES.get(classId) ?? (NUMERIC_CLASS.test(classId) ? 'detection' : 'system')
    );
  }
  if (isTrendVendor(record) && product.includes('threat mitigator')) {
    return MITIGATOR_CLASSES.get(classId) ?? 'mitigation';
  }
  if (record.vendor === 'OISF' && product === 'suricata') {
    return classId === 'ALERT' ? 'detection' : 'network-activity';
  }
  if (record.threatType !== null || record.detectionType !== null) return 'detection';
  // A syslog priority says how urgent a message is, not that it reports a threat.
  if (record.format === 'syslog3164' || record.format === 'syslog5424') return 'syslog';
  return isHighSeverity(record) ? 'detection' : 'vendor-event';
}

function isTrendVendor(record: NormalisedRecord): boolean {
  return (record.vendor ?? '').toLowerCase().replace(/\s+/g, '') === 'trendmicro';
}

function isTrendSensor(product: string): boolean {
  return product.includes('threat discovery') || product.includes('deep discovery inspector');
}

function isHighSeverity(record: NormalisedRecord): boolean {
  return record.severity.level !== null && record.severity.level >= HIGH_SEVERITY;
}

/**
 * The host in the customer's network a detection concerns: the destination of inbound
 * traffic, the source of outbound traffic; without a direction, the side with a private
 * address (the destination when both or neither are). Named by host name, else by address.
 */
export function affectedHost(record: NormalisedRecord): string | null {
  const side = affectedSide(record);
  return side.host ?? side.ip ?? null;
}

function affectedSide(record: NormalisedRecord): Endpoint {
  const { source, destination } = record;
  const direction = (record.direction ?? '').toLowerCase();
  if (direction === 'inbound') return destination;
  if (direction === 'outbound') return source;
  if (isPrivate(source.ip) && !isPrivate(destination.ip)) return source;
  if (destination.ip === null && destination.host === null) return source;
  return destination;
}

const PRIVATE_V4 = /^(?:10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|127\.|169\.254\.)/;

function isPrivate(ip: string | null): boolean {
  if (ip === null) return false;
  const lower = ip.toLowerCase();
  return PRIVATE_V4.test(lower) || lower.startsWith('fc') || lower.startsWith('fd');
}
