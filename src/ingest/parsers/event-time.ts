/**
 * The event time of a CEF or LEEF record. The parser fills `eventTime` when the line alone
 * names an instant (epoch, an offset, or a zone in `dtz`); a stamp without year or zone keeps
 * only `eventTimeText`, and ingestion completes it here with the appliance's configured zone
 * and the file's arrival time (never "now", so re-reading a file gives the same instants).
 */
import { type Stamp, type StampContext, readCefStamp, readZone, stampInstant } from './cef-time.js';
import { readPatternStamp } from './leef-time.js';
import { type NormalisedRecord, warn } from './record.js';
import { findStampClock } from './stamp-clock.js';
import { type TimeContext, isKnownTimeZone } from './zoned-time.js';

/** Vendor keys that name the zone of every stamp in the line (CEF `dtz`). */
const ZONE_KEYS = ['dtz', 'deviceTimeZone'] as const;
const PATTERN_KEY = 'devTimeFormat';
const HOUR_MS = 3_600_000;

/** Reads a stamp with the sender's SimpleDateFormat pattern when it gave one, else any form. */
export function readEventStamp(text: string, pattern: string | undefined): Stamp | null {
  const byPattern = pattern === undefined ? null : readPatternStamp(text, pattern);
  return byPattern ?? readCefStamp(text);
}

/** The zone the sender declared for its stamps, if any and if we know it. */
export function declaredZone(fields: Record<string, string>): string | null {
  for (const key of ZONE_KEYS) {
    const text = fields[key];
    if (text === undefined || text === '') continue;
    const zone = readZone(text.trim());
    if (zone === null) continue;
    return zone.timeZone ?? fixedOffsetZone(zone.offsetMs);
  }
  return null;
}

/** IANA names fixed offsets of whole hours only, with the sign reversed (`Etc/GMT-8` = +08). */
function fixedOffsetZone(offsetMs: number): string | null {
  const hours = offsetMs / HOUR_MS;
  if (!Number.isInteger(hours)) return null;
  if (hours === 0) return 'UTC';
  return hours > 0 ? `Etc/GMT-${hours}` : `Etc/GMT+${-hours}`;
}

interface LineTime {
  readable: boolean;
  time: Date | null;
}

/** A line time, and whether the stamp's own offset fixed it: then it moves with the clock. */
interface ReadLineTime extends LineTime {
  fixedOffset: boolean;
}

/** Lines of a file mostly repeat the stamp of the line before; reading it again is waste. */
let previous: { text: string; pattern?: string; zone?: string; result: LineTime } | null = null;
/** Per midnight text, its reading: lines of a file share a few days and one zone. */
const days = new Map<string, ReadLineTime>();
/** Stamps come from the wire: the cache is emptied rather than grown. */
const DAYS_LIMIT = 1024;

function readLineTime(text: string, fields: Record<string, string>): ReadLineTime {
  const stamp = readEventStamp(text, fields[PATTERN_KEY]);
  if (stamp === null) return { readable: false, time: null, fixedOffset: false };
  const context: StampContext = { timeZone: declaredZone(fields), receiveTime: null };
  const fixedOffset = stamp.kind === 'wall' && stamp.offsetMs !== null;
  return { readable: true, time: stampInstant(stamp, context), fixedOffset };
}

/**
 * Reads a stamp as its day plus its clock when that gives the same instant: the stamp states
 * its offset (no zone rules, so no daylight saving gap or overlap within the day) and no
 * sender pattern is involved. Anything else is read whole.
 */
function readByDay(text: string, fields: Record<string, string>): LineTime {
  const clock = fields[PATTERN_KEY] === undefined ? findStampClock(text) : null;
  if (clock === null) return readLineTime(text, fields);
  let day = days.get(clock.midnightText);
  if (day === undefined) {
    day = readLineTime(clock.midnightText, fields);
    if (days.size >= DAYS_LIMIT) days.clear();
    days.set(clock.midnightText, day);
  }
  if (!day.fixedOffset) return readLineTime(text, fields);
  const time = day.time && new Date(day.time.getTime() + clock.sinceMidnightMs);
  return { readable: day.readable, time };
}

/** What the line alone says about when the event happened. */
export function eventTimeFromLine(text: string, fields: Record<string, string>): LineTime {
  const pattern = fields[PATTERN_KEY];
  const zone = fields.dtz ?? fields.deviceTimeZone;
  const known = previous;
  let result: LineTime;
  if (known?.text === text && known.pattern === pattern && known.zone === zone) {
    result = known.result;
  } else {
    result = readByDay(text, fields);
    previous = { text, pattern, zone, result };
  }
  // Each record gets its own Date: a shared one could be changed through another record.
  return { readable: result.readable, time: result.time && new Date(result.time.getTime()) };
}

/**
 * Completes a record's event time with what ingestion knows: the appliance's zone (applied
 * only when the line declares none) and when the file arrived (for year-less stamps).
 * Null when the text cannot name a real instant, e.g. 29 February far from a leap year.
 */
export function resolveEventTime(
  record: NormalisedRecord,
  appliance: { timeZone: string; receiveTime: Date },
): Date | null {
  if (record.eventTime !== null) return record.eventTime;
  if (record.eventTimeText === null) return null;
  const stamp = readEventStamp(record.eventTimeText, record.vendorFields[PATTERN_KEY]);
  if (stamp === null) return null;
  const timeZone = declaredZone(record.vendorFields) ?? appliance.timeZone;
  return stampInstant(stamp, { timeZone, receiveTime: appliance.receiveTime });
}

/**
 * Gives a record whose stamp needs the appliance's zone or a year its instant, as ingestion
 * knows them. A stamp that names no real instant becomes the receive time, flagged
 * `timestamp_invalid` (handed case C09). A record with no stamp at all is left as it is: a
 * syslog header around it, or ingestion, supplies the time.
 */
export function completeEventTime(record: NormalisedRecord, context: TimeContext): void {
  if (record.eventTime !== null || record.eventTimeText === null) return;
  const receiveTime = context.receiveTime;
  const zone = context.timeZone ?? 'UTC';
  let time = resolveEventTime(record, { timeZone: zone, receiveTime });
  if (time === null && !isKnownTimeZone(zone)) {
    warn(record, 'time_zone_unknown');
    time = resolveEventTime(record, { timeZone: 'UTC', receiveTime });
  }
  if (time === null) warn(record, 'timestamp_invalid');
  record.eventTime = time ?? new Date(receiveTime.getTime());
}
