import type { Insertable } from 'kysely';

import type { DetectionTable, OtherEventTable, QuarantinedLineTable } from '../storage/schema.js';
import { affectedHost, eventKind, type OtherKind } from './kinds.js';
import { parseLine, type LineFormat } from './parsers/detect-format.js';
import type { Frame } from './parsers/framing.js';
import type { NormalisedRecord } from './parsers/record.js';

export type NewDetection = Insertable<DetectionTable>;
export type NewOtherEvent = Insertable<OtherEventTable>;
export type NewQuarantinedLine = Insertable<QuarantinedLineTable>;

/** What one received line became. */
export type IngestedLine =
  | { kind: 'detection'; row: NewDetection; warnings: number }
  | { kind: 'other'; row: NewOtherEvent; warnings: number }
  | { kind: 'quarantine'; row: NewQuarantinedLine };

/** Where the lines of one file version come from, and how to read their times. */
export interface LineSource {
  customerId: number;
  productId: number;
  receivedFileId: number;
  /** When the file version arrived: the year-inference reference and each line's receive time. */
  receiveTime: Date;
  timeZone: string;
  fileFormat: LineFormat;
}

/** An appliance stamp this far ahead of the receive time is its clock, not the network. */
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_VALUE_LENGTH = 2048;

/** Decides what a frame is and builds the row it is stored as. Never throws. */
export function ingestFrame(frame: Frame, source: LineSource): IngestedLine {
  if (frame.framingError !== null) return quarantine(frame, source, frame.framingError);
  if (!frame.validUtf8) return quarantine(frame, source, 'not valid UTF-8');

  const parsed = parseLine(frame.text, {
    receiveTime: source.receiveTime,
    timeZone: source.timeZone,
    fileFormat: source.fileFormat,
  });
  if (!parsed.ok) return quarantine(frame, source, parsed.reason);

  const record = parsed.record;
  if (frame.truncated) record.warnings.push('truncated');
  const kind = eventKind(record);
  const warnings = record.warnings.length;
  if (kind === 'detection') return { kind, row: detectionRow(frame, source, record), warnings };
  return { kind: 'other', row: otherEventRow(frame, source, record, kind), warnings };
}

function quarantine(frame: Frame, source: LineSource, why: string): IngestedLine {
  const reason = frame.truncated
    ? `longer than ${frame.bytes.length} bytes (${frame.receivedBytes} received); ${why}`
    : why;
  return {
    kind: 'quarantine',
    row: {
      customerId: source.customerId,
      productId: source.productId,
      receivedFileId: source.receivedFileId,
      lineOffset: frame.start,
      receiveTime: source.receiveTime.getTime(),
      reason,
      truncated: frame.truncated ? 1 : 0,
      line: frame.text,
      rawBase64: frame.validUtf8 ? null : Buffer.from(frame.bytes).toString('base64'),
    },
  };
}

/**
 * The columns every stored line has. Rows are built as one literal each (no spreading): the
 * rows are made tens of thousands of times a second, and a literal keeps one fixed shape.
 */
function lineColumns(frame: Frame, source: LineSource, record: NormalisedRecord) {
  const receiveTime = source.receiveTime.getTime();
  const eventTime = record.eventTime?.getTime() ?? receiveTime;
  const ahead = eventTime - receiveTime;
  return {
    eventTime,
    receiveTime,
    skewSeconds: ahead > FUTURE_SKEW_MS ? Math.round(ahead / 1000) : null,
    truncated: frame.truncated ? 1 : 0,
    warnings: record.warnings.length === 0 ? null : record.warnings.join(','),
  };
}

function detectionRow(frame: Frame, source: LineSource, record: NormalisedRecord): NewDetection {
  const line = lineColumns(frame, source, record);
  return {
    customerId: source.customerId,
    productId: source.productId,
    receivedFileId: source.receivedFileId,
    lineOffset: frame.start,
    eventTime: line.eventTime,
    receiveTime: line.receiveTime,
    skewSeconds: line.skewSeconds,
    format: record.format,
    truncated: line.truncated,
    warnings: line.warnings,
    vendorFields: JSON.stringify(record.vendorFields),
    raw: frame.text,
    severity: record.severity.level,
    detectionName: short(record.detectionName),
    detectionType: record.detectionType,
    threatType: short(record.threatType),
    engine: short(record.engine),
    direction: short(record.direction),
    protocol: short(record.protocol),
    ruleId: short(record.ruleId),
    action: short(record.action),
    sourceIp: short(record.source.ip),
    sourceHost: short(record.source.host),
    destinationIp: short(record.destination.ip),
    destinationHost: short(record.destination.host),
    affectedHost: short(affectedHost(record)),
    url: short(record.url),
    fileName: short(record.file.name),
    fileSha256: short(record.file.sha256),
  };
}

function otherEventRow(
  frame: Frame,
  source: LineSource,
  record: NormalisedRecord,
  kind: OtherKind,
): NewOtherEvent {
  const line = lineColumns(frame, source, record);
  const fields = record.vendorFields;
  return {
    customerId: source.customerId,
    productId: source.productId,
    receivedFileId: source.receivedFileId,
    lineOffset: frame.start,
    eventTime: line.eventTime,
    receiveTime: line.receiveTime,
    skewSeconds: line.skewSeconds,
    format: record.format,
    truncated: line.truncated,
    warnings: line.warnings,
    vendorFields: JSON.stringify(fields),
    raw: frame.text,
    kind,
    severity: record.severity.level,
    name: short(record.name ?? record.message ?? null),
    sourceIp: short(record.source.ip),
    destinationIp: short(record.destination.ip),
    application: short(firstOf(fields, APPLICATION_KEYS)),
    url: short(record.url),
    urlCategory: short(firstOf(fields, URL_CATEGORY_KEYS)),
    action: short(record.action),
  };
}

const APPLICATION_KEYS = ['appName', 'application', 'applicationName', 'app'];
const URL_CATEGORY_KEYS = ['urlCategory', 'urlCat', 'requestCategory', 'cat'];

function firstOf(fields: Record<string, string>, keys: readonly string[]): string | null {
  for (const key of keys) {
    const value = fields[key];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

/** Column values are for searching and summing; the raw line keeps the whole text. */
function short(value: string | null): string | null {
  return value === null || value.length <= MAX_VALUE_LENGTH
    ? value
    : value.slice(0, MAX_VALUE_LENGTH);
}
