/**
 * Time stamps as CEF and LEEF senders write them (`rt`, `devTime`, `start`, `end`): epoch
 * milliseconds, `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` from the ArcSight spec, Trend Micro's
 * `GMT+08:00` zones, and ISO 8601. A stamp is read as written first; a missing year or zone is
 * only supplied later, from the appliance's settings and the file's arrival time.
 */
import {
  type MonthDayTime,
  fractionMilliseconds,
  inferYear,
  isKnownTimeZone,
  isValidWallTime,
  readEpochTimestamp,
  utcMilliseconds,
  zonedTimeToUtc,
} from './zoned-time.js';

export type Stamp =
  | { kind: 'instant'; time: Date }
  | {
      kind: 'wall';
      wall: MonthDayTime;
      year: number | null;
      /** East of UTC, in milliseconds, when the text states an offset. */
      offsetMs: number | null;
      /** An IANA zone the text names, e.g. `Europe/Moscow`. */
      timeZone: string | null;
    };

export type StampZone = { offsetMs: number; timeZone: null } | { offsetMs: null; timeZone: string };

/** Where the line itself says nothing: the appliance's zone and when its file arrived. */
export interface StampContext {
  timeZone: string | null;
  receiveTime: Date | null;
}

/** Longer text is no time stamp; the bound also keeps every pattern below cheap. */
export const MAX_STAMP_LENGTH = 64;

const MINUTE_MS = 60_000;
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const UTC_TEXT = new Set(['z', 'utc', 'gmt', 'ut']);
const OFFSET_TEXT = /^(?:gmt|utc|ut)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const CLOCK = String.raw`(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?`;
const MONTH_FIRST = new RegExp(
  String.raw`^([A-Za-z]{3,9})\.? +(\d{1,2}),?(?: +(\d{4}))? +${CLOCK}(?: *(\S+))?$`,
);
const ISO = new RegExp(
  String.raw`^(\d{4})-(\d{2})-(\d{2})[Tt ]${CLOCK} ?([Zz]|[+-]\d{2}(?::?\d{2})?)?$`,
);

/** Month number (1-12) from an English name or its first three letters. */
export function monthNumber(name: string): number | null {
  const lower = name.toLowerCase();
  const index = MONTHS.findIndex((month) => month === lower || month.slice(0, 3) === lower);
  return index < 0 ? null : index + 1;
}

/** Zone text after a stamp: `Z`, `UTC`, `GMT+08:00`, `+0800`, `-05`, or an IANA Area/City. */
export function readZone(text: string): StampZone | null {
  if (UTC_TEXT.has(text.toLowerCase())) return { offsetMs: 0, timeZone: null };
  const offset = OFFSET_TEXT.exec(text);
  if (offset !== null) {
    const [, sign, hours = '0', minutes = '0'] = offset;
    if (Number(hours) > 23 || Number(minutes) > 59) return null;
    const size = (Number(hours) * 60 + Number(minutes)) * MINUTE_MS;
    return { offsetMs: sign === '-' ? -size : size, timeZone: null };
  }
  // ICU also accepts legacy abbreviations such as `CST` (Chicago, though China writes it too):
  // only an Area/Location name is trusted.
  return text.includes('/') && isKnownTimeZone(text) ? { offsetMs: null, timeZone: text } : null;
}

function wallStamp(
  wall: MonthDayTime,
  year: number | null,
  zoneText: string | undefined,
): Stamp | null {
  const zone = zoneText === undefined ? { offsetMs: null, timeZone: null } : readZone(zoneText);
  if (zone === null) return null;
  // A year-less 29 February is checked against a leap year; the year chosen later decides.
  if (!isValidWallTime({ ...wall, year: year ?? 2000 })) return null;
  return { kind: 'wall', wall, year, ...zone };
}

function readMonthFirst(text: string): Stamp | null {
  const match = MONTH_FIRST.exec(text);
  if (match === null) return null;
  const [, monthName = '', day, year, hour, minute, second, fraction, zoneText] = match;
  const month = monthNumber(monthName);
  if (month === null) return null;
  const wall = {
    month,
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fractionMilliseconds(fraction),
  };
  return wallStamp(wall, year === undefined ? null : Number(year), zoneText);
}

function readIso(text: string): Stamp | null {
  const match = ISO.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second, fraction, zoneText] = match;
  const wall = {
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fractionMilliseconds(fraction),
  };
  return wallStamp(wall, Number(year), zoneText);
}

/** Seconds, milliseconds, micro- or nanoseconds since 1970, told apart by their length. */
function readEpoch(text: string): Stamp | null {
  const time = readEpochTimestamp(text);
  return time === null ? null : { kind: 'instant', time };
}

/** Reads a stamp in any form CEF or LEEF senders use, or null when it is none of them. */
export function readCefStamp(text: string): Stamp | null {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_STAMP_LENGTH) return null;
  return readEpoch(trimmed) ?? readIso(trimmed) ?? readMonthFirst(trimmed);
}

function yearFor(stamp: Stamp & { kind: 'wall' }, zone: string, context: StampContext) {
  if (stamp.year !== null) return stamp.year;
  if (context.receiveTime === null) return null;
  // With a fixed offset, the year is chosen on the sender's own calendar: shift the reference.
  const shift = stamp.offsetMs ?? 0;
  return inferYear(stamp.wall, new Date(context.receiveTime.getTime() + shift), zone);
}

/**
 * The instant a stamp names. The zone in the text wins over the context's; a year-less stamp
 * takes the year that puts it nearest before the receive time. Null when something is missing.
 */
export function stampInstant(stamp: Stamp, context: StampContext): Date | null {
  if (stamp.kind === 'instant') return stamp.time;
  const zone = stamp.offsetMs !== null ? 'UTC' : (stamp.timeZone ?? context.timeZone);
  if (zone === null) return null;
  const year = yearFor(stamp, zone, context);
  if (year === null) return null;
  const wall = { ...stamp.wall, year };
  // A stamp read with its year was checked then; an inferred year is checked here.
  if (stamp.year === null && !isValidWallTime(wall)) return null;
  if (stamp.offsetMs !== null) return new Date(utcMilliseconds(wall) - stamp.offsetMs);
  return zonedTimeToUtc(wall, zone);
}
