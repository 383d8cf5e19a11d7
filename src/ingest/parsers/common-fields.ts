/**
 * Fills the normalised record from vendor fields with common names (common-field-names.ts),
 * for key=value and JSON lines alike: values are checked and converted on the way in, and the
 * first field found for a slot wins.
 */
import { isIP } from 'node:net';

import { applyEventTime } from './common-field-time.js';
import { TARGETS, indexFields, type EndpointSide, type Target } from './common-field-names.js';
import type { Endpoint, NormalisedRecord } from './record.js';
import type { TimeContext } from './zoned-time.js';

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
