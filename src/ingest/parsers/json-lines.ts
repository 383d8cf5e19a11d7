/**
 * One JSON object per line: Suricata EVE mapped field by field, any other object flattened
 * into vendor fields with dotted keys and mapped by common names (see common-fields.ts). Hostile
 * input is bounded: line size, nesting depth and field count all have limits, and the walk
 * over the parsed value is iterative.
 */
import { applyCommonFields } from './common-fields.js';
import {
  accepted,
  emptyRecord,
  emptyVendorFields,
  rejected,
  type NormalisedRecord,
  type ParseResult,
} from './record.js';
import { MAX_VENDOR_FIELDS, addVendorField } from './vendor-fields.js';
import type { TimeContext } from './zoned-time.js';

export interface JsonLimits {
  /** Longest line read, in UTF-16 code units; the framer normally cuts well before. */
  maxLength: number;
  /** Deeper values are replaced by a marker rather than walked. */
  maxDepth: number;
  /** Values walked (objects and arrays count too); the rest are dropped with a warning. */
  maxFields: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxLength: 1024 * 1024,
  maxDepth: 16,
  maxFields: MAX_VENDOR_FIELDS,
};

export const TOO_DEEP_MARKER = '[nested too deep]';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = Record<string, Json>;

export interface Flattened {
  fields: Record<string, string>;
  warnings: string[];
}

interface WalkItem {
  key: string;
  value: Json;
  depth: number;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarText(value: Json): string | null {
  if (value === null) return 'null';
  if (typeof value === 'object') return null;
  return String(value);
}

function childItems(item: WalkItem): WalkItem[] {
  const entries: [string, Json][] = Array.isArray(item.value)
    ? item.value.map((value, index): [string, Json] => [String(index), value])
    : Object.entries(item.value as JsonObject);
  const prefix = item.key === '' ? '' : `${item.key}.`;
  return entries.map(([key, value]) => ({ key: prefix + key, value, depth: item.depth + 1 }));
}

/** Dotted keys (`alert.signature`, `dns.answers.0.rdata`) to text values, in document order. */
export function flattenJson(root: JsonObject, limits: JsonLimits = DEFAULT_JSON_LIMITS): Flattened {
  const fields = emptyVendorFields();
  const warnings: string[] = [];
  const stack: WalkItem[] = childItems({ key: '', value: root, depth: 0 }).reverse();
  let count = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    if (count >= limits.maxFields) {
      warnings.push('too_many_fields');
      break;
    }
    count += 1;
    const scalar = scalarText(item.value);
    if (scalar !== null) {
      addVendorField(fields, item.key, scalar);
      continue;
    }
    if (item.depth >= limits.maxDepth) {
      addVendorField(fields, item.key, TOO_DEEP_MARKER);
      if (!warnings.includes('json_too_deep')) warnings.push('json_too_deep');
      continue;
    }
    const children = childItems(item);
    if (children.length === 0)
      addVendorField(fields, item.key, Array.isArray(item.value) ? '[]' : '{}');
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const child = children[index];
      if (child !== undefined) stack.push(child);
    }
  }
  return { fields, warnings };
}

// ---------------------------------------------------------------- Suricata EVE

function at(object: JsonObject, ...path: string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) {
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isObject(current) && Object.hasOwn(current, key)) current = current[key];
    else return undefined;
  }
  return current;
}

function textAt(object: JsonObject, ...path: string[]): string | null {
  const value = at(object, ...path);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

function numberAt(object: JsonObject, ...path: string[]): number | null {
  const value = at(object, ...path);
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** EVE writes `event_type` next to `timestamp` and the flow's addresses or id. */
export function isSuricataEve(object: JsonObject): boolean {
  return (
    typeof object.event_type === 'string' &&
    typeof object.timestamp === 'string' &&
    ('src_ip' in object || 'flow_id' in object)
  );
}

/** Suricata's alert severity: 1 is the highest; on the record's scale as DDI's 8/6/4/2. */
function eveSeverityLevel(severity: number): number {
  if (severity <= 1) return 8;
  if (severity === 2) return 6;
  if (severity === 3) return 4;
  return 2;
}

function applyEveAlert(record: NormalisedRecord, eve: JsonObject): void {
  const signature = textAt(eve, 'alert', 'signature');
  record.detectionName = signature;
  record.name = signature;
  record.ruleId = textAt(eve, 'alert', 'signature_id');
  record.threatType = textAt(eve, 'alert', 'category');
  record.action = textAt(eve, 'alert', 'action');
  // A signature match names a threat the sensor already knows.
  record.detectionType = 'known';
  const severity = numberAt(eve, 'alert', 'severity');
  if (severity !== null) {
    record.severity = { level: eveSeverityLevel(severity), original: String(severity) };
  }
}

function eveProtocol(eve: JsonObject): string | null {
  const application = textAt(eve, 'app_proto');
  if (application !== null && application !== 'failed' && application !== 'unknown') {
    return application.toUpperCase();
  }
  return textAt(eve, 'proto');
}

function eveUrl(eve: JsonObject): string | null {
  const url = textAt(eve, 'http', 'url');
  const host = textAt(eve, 'http', 'hostname');
  if (url === null || host === null || !url.startsWith('/')) return url;
  return `http://${host}${url}`;
}

function applyEveFlow(record: NormalisedRecord, eve: JsonObject): void {
  record.source.ip = textAt(eve, 'src_ip');
  record.source.port = numberAt(eve, 'src_port');
  record.destination.ip = textAt(eve, 'dest_ip');
  record.destination.port = numberAt(eve, 'dest_port');
  record.protocol = eveProtocol(eve);
  record.direction = textAt(eve, 'direction');
  record.vlan = numberAt(eve, 'vlan', '0');
  record.url = eveUrl(eve);
  record.destination.host = textAt(eve, 'http', 'hostname') ?? textAt(eve, 'tls', 'sni');
}

function applyEveFiles(record: NormalisedRecord, eve: JsonObject): void {
  record.file.name = textAt(eve, 'fileinfo', 'filename');
  record.file.size = numberAt(eve, 'fileinfo', 'size');
  record.file.sha256 = textAt(eve, 'fileinfo', 'sha256');
  record.file.sha1 = textAt(eve, 'fileinfo', 'sha1');
  record.file.md5 = textAt(eve, 'fileinfo', 'md5');
  record.mail.sender = textAt(eve, 'email', 'from');
  record.mail.recipient = textAt(eve, 'email', 'to', '0');
  record.mail.subject = textAt(eve, 'email', 'subject');
}

function applyEve(record: NormalisedRecord, eve: JsonObject): void {
  record.vendor = 'OISF';
  record.product = 'Suricata';
  record.eventClassId = textAt(eve, 'event_type');
  record.appliance.host = textAt(eve, 'host');
  applyEveFlow(record, eve);
  applyEveFiles(record, eve);
  if (eve.event_type === 'alert') applyEveAlert(record, eve);
}

function readObject(line: string, limits: JsonLimits): JsonObject | string {
  if (line.length > limits.maxLength) return `JSON line longer than ${limits.maxLength} characters`;
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return 'not a JSON object';
  let value: Json;
  try {
    // V8 parses iteratively, so nesting depth alone cannot exhaust the stack here.
    value = JSON.parse(trimmed) as Json;
  } catch (error) {
    return `invalid JSON: ${error instanceof Error ? error.message : 'unreadable'}`;
  }
  return isObject(value) ? value : 'not a JSON object';
}

/** One JSON object per line; Suricata EVE recognised and mapped, anything else flattened. */
export function parseJsonLine(
  line: string,
  context: TimeContext,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): ParseResult {
  const object = readObject(line, limits);
  if (typeof object === 'string') return rejected(object);
  const record = emptyRecord('json');
  const flattened = flattenJson(object, limits);
  record.vendorFields = flattened.fields;
  record.warnings.push(...flattened.warnings);
  if (isSuricataEve(object)) applyEve(record, object);
  applyCommonFields(record, context);
  return accepted(record);
}
