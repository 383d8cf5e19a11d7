/** The event time from the common time fields: one stamp field, or `date` and `time` apart. */
import { readCefStamp, stampInstant } from './cef-time.js';
import { TIME_NAMES, type FieldIndex } from './common-field-names.js';
import { warn, type NormalisedRecord } from './record.js';
import { isKnownTimeZone, readTimestamp, type TimeContext } from './zoned-time.js';

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
export function applyEventTime(
  record: NormalisedRecord,
  index: FieldIndex,
  context: TimeContext,
): void {
  const single = timeFromField(index, context);
  const joined = dateAndTime(index, context);
  const found = single?.time ? single : joined?.time ? joined : (joined ?? single);
  if (found === null) return;
  record.eventTimeText = found.text;
  // As for every format (C09): a stamp naming no instant leaves the receive time, flagged.
  record.eventTime = found.time ?? context.receiveTime;
  if (found.time === null) warn(record, 'timestamp_invalid');
}
