/**
 * The header time stamps: RFC 5424's RFC 3339 form, and RFC 3164's `Mmm dd hh:mm:ss` with the
 * loose relatives real senders write. A stamp without a zone is read in the appliance's zone.
 */
import { readField } from './syslog-message.js';
import {
  fractionMilliseconds,
  hasIsoTimestampShape,
  inferYearWith,
  isKnownTimeZone,
  readIsoTimestamp,
  utcMilliseconds,
  wallTimeToInstant,
  zonedTimeToUtc,
  type MonthDayTime,
  type TimeContext,
  type WallTime,
} from './zoned-time.js';

function timeZoneOf(context: TimeContext): { zone: string; warnings: string[] } {
  const zone = context.timeZone ?? 'UTC';
  if (isKnownTimeZone(zone)) return { zone, warnings: [] };
  return { zone: 'UTC', warnings: ['time_zone_unknown'] };
}

interface ReadStamp {
  time: Date;
  warnings: string[];
}

export function read5424Timestamp(text: string, context: TimeContext): ReadStamp | string {
  if (text === '-') return { time: context.receiveTime, warnings: ['timestamp_missing'] };
  if (!hasIsoTimestampShape(text)) return `bad TIMESTAMP "${text.slice(0, 40)}"`;
  const { zone, warnings } = timeZoneOf(context);
  const read = readIsoTimestamp(text, zone);
  if (read === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  return { time: read.time, warnings: read.zoneAssumed ? warnings : [] };
}

const MONTHS: ReadonlyMap<string, number> = new Map(
  [
    ['jan', 'january'],
    ['feb', 'february'],
    ['mar', 'march'],
    ['apr', 'april'],
    ['may', 'may'],
    ['jun', 'june'],
    ['jul', 'july'],
    ['aug', 'august'],
    ['sep', 'september', 'sept'],
    ['oct', 'october'],
    ['nov', 'november'],
    ['dec', 'december'],
  ].flatMap((names, index) => names.map((name): [string, number] => [name, index + 1])),
);

/**
 * `Mmm dd hh:mm:ss` and its relatives: full month names, `Mmm dd, yyyy`, `Mmm dd yyyy`, a
 * fraction, and Cisco's `*` / `.` marks for an unsynchronised clock.
 */
const BSD_STAMP =
  /[*.]?([A-Za-z]{3,9}) +(\d{1,2}),?(?: +(\d{4}))? +(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/y;
/** A zone after the time: an offset, or letters (read as an offset only for UTC and GMT). */
const STAMP_ZONE = / +(UTC|GMT|UT|Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5})(?= |:|$)/y;
const STAMP_YEAR = / +(\d{4})(?= |:|$)/y;
/** Abbreviations a sender writes after the time; a hostname such as `DDAN` must not match. */
const ZONE_ABBREVIATIONS = new Set(
  (
    'UTC GMT UT Z WET WEST BST IST CET CEST EET EEST MSK EST EDT CST CDT MST MDT PST PDT AKST ' +
    'AKDT HST AEST AEDT ACST ACDT AWST NZST NZDT JST KST HKT SGT PHT WIB ICT'
  ).split(' '),
);

interface BsdStamp extends MonthDayTime {
  year: number | null;
  /** Milliseconds east of UTC when the stamp names UTC or an offset. */
  offset: number | null;
  zoneName: string | null;
  text: string;
  next: number;
}

function offsetOfZone(zone: string): number | null {
  if (['UTC', 'GMT', 'UT', 'Z'].includes(zone)) return 0;
  if (!/^[+-]/.test(zone)) return null;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return (zone.startsWith('-') ? -1 : 1) * minutes * 60_000;
}

function readStampZone(
  line: string,
  position: number,
  hasYear: boolean,
): { zone: string; next: number } | null {
  STAMP_ZONE.lastIndex = position;
  const match = STAMP_ZONE.exec(line);
  const zone = match?.[1];
  if (match === null || zone === undefined) return null;
  const next = STAMP_ZONE.lastIndex;
  STAMP_YEAR.lastIndex = next;
  const yearFollows = !hasYear && STAMP_YEAR.test(line);
  if (/^[A-Z]+$/.test(zone) && !ZONE_ABBREVIATIONS.has(zone) && !yearFollows) return null;
  return { zone, next };
}

function readStampYear(line: string, position: number): { year: number; next: number } | null {
  STAMP_YEAR.lastIndex = position;
  const match = STAMP_YEAR.exec(line);
  return match === null ? null : { year: Number(match[1]), next: STAMP_YEAR.lastIndex };
}

function readBsdStamp(line: string, position: number): BsdStamp | null {
  BSD_STAMP.lastIndex = position;
  const match = BSD_STAMP.exec(line);
  if (match === null) return null;
  const [, monthName = '', day, yearText, hour, minute, second, fraction] = match;
  const month = MONTHS.get(monthName.toLowerCase());
  if (month === undefined) return null;
  let next = BSD_STAMP.lastIndex;
  const zone = readStampZone(line, next, yearText !== undefined);
  if (zone !== null) next = zone.next;
  const lateYear = yearText === undefined ? readStampYear(line, next) : null;
  if (lateYear !== null) next = lateYear.next;
  const text = line.slice(position, next);
  if (line[next] === ':') next += 1;
  if (next < line.length && line[next] !== ' ') return null;
  return {
    month,
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fractionMilliseconds(fraction),
    year: yearText !== undefined ? Number(yearText) : (lateYear?.year ?? null),
    offset: zone === null ? null : offsetOfZone(zone.zone),
    zoneName: zone?.zone ?? null,
    text,
    next,
  };
}

function wallOf(time: MonthDayTime, year: number): WallTime {
  const { month, day, hour, minute, second, millisecond } = time;
  return { year, month, day, hour, minute, second, millisecond };
}

function instantOfWall(wall: WallTime, offset: number | null, zone: string): Date | null {
  if (offset !== null) return new Date(utcMilliseconds(wall) - offset);
  return zonedTimeToUtc(wall, zone);
}

function bsdStampTime(stamp: BsdStamp, context: TimeContext): ReadStamp {
  const { zone, warnings } = timeZoneOf(context);
  const zoneWarnings = stamp.offset === null ? warnings : [];
  const year =
    stamp.year ??
    inferYearWith(stamp, context.receiveTime, (wall) => instantOfWall(wall, stamp.offset, zone));
  if (year === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  const read = wallTimeToInstant(wallOf(stamp, year), stamp.offset, zone);
  if (read === null) return { time: context.receiveTime, warnings: ['timestamp_invalid'] };
  return { time: read.time, warnings: zoneWarnings };
}

interface Stamp3164 {
  time: Date;
  text: string;
  warnings: string[];
  next: number;
}

/** rsyslog and others put an RFC 3339 stamp where RFC 3164 has `Mmm dd hh:mm:ss`. */
function readIsoStamp(line: string, position: number, context: TimeContext): Stamp3164 | null {
  const field = readField(line, position);
  if (field === null || field.next - field.value.length !== position) return null;
  if (!hasIsoTimestampShape(field.value)) return null;
  const stamp = read5424Timestamp(field.value, context);
  if (typeof stamp === 'string') return null;
  return { time: stamp.time, warnings: stamp.warnings, text: field.value, next: field.next };
}

export function read3164Stamp(
  line: string,
  position: number,
  context: TimeContext,
): Stamp3164 | null {
  const iso = readIsoStamp(line, position, context);
  if (iso !== null) return iso;
  const bsd = readBsdStamp(line, position);
  if (bsd === null) return null;
  const { time, warnings } = bsdStampTime(bsd, context);
  return { time, warnings, text: bsd.text, next: bsd.next };
}
