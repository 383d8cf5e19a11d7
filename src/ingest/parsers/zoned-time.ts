/**
 * Wall-clock time in an IANA time zone, converted with the runtime's Intl data only, so that
 * neither the host's TZ setting nor a dependency changes how appliance stamps are read.
 */

export interface MonthDayTime {
  /** 1 to 12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export interface WallTime extends MonthDayTime {
  year: number;
}

export interface TimeContext {
  /**
   * When the file arrived (its mtime), not "now": the reference for year inference, and the
   * event time of a line whose own stamp is missing or impossible.
   */
  receiveTime: Date;
  /** The appliance's IANA zone, for stamps without an offset; UTC when not given. */
  timeZone?: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Offsets only change at quarter hours in every zone still in use; a bucket shares one. */
const OFFSET_BUCKET_MS = 15 * MINUTE_MS;
const OFFSET_CACHE_LIMIT = 10_000;
/** Logs are written before they are received; this much future absorbs fast clocks. */
const YEAR_INFERENCE_MAX_FUTURE_MS = 7 * DAY_MS;
const YEAR_INFERENCE_MAX_PAST_MS = 366 * DAY_MS;

const formatters = new Map<string, Intl.DateTimeFormat | null>();
/** Per zone, offsets by 15-minute bucket; cleared whole when it grows past its limit. */
const offsetCache = new Map<string, Map<number, number>>();
let cachedOffsets = 0;

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z']);

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const known = formatters.get(timeZone);
  if (known !== undefined) return known;
  let formatter: Intl.DateTimeFormat | null;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch {
    formatter = null;
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

export function isKnownTimeZone(timeZone: string): boolean {
  return UTC_NAMES.has(timeZone) || formatterFor(timeZone) !== null;
}

/** Milliseconds since the epoch for a proleptic Gregorian UTC wall time, years 0-99 included. */
export function utcMilliseconds(wall: WallTime): number {
  const { year, month, day, hour, minute, second, millisecond } = wall;
  // Date.UTC reads years 0-99 as 1900-1999; only those need the slower setter.
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

function zoneOffsetUncached(instant: number, formatter: Intl.DateTimeFormat): number {
  const fields: Record<string, string> = {};
  for (const part of formatter.formatToParts(instant)) fields[part.type] = part.value;
  const yearOfEra = Number(fields.year);
  const year = fields.era === 'BC' || fields.era === 'B' ? 1 - yearOfEra : yearOfEra;
  const wallAsUtc = utcMilliseconds({
    year,
    month: Number(fields.month),
    day: Number(fields.day),
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
    millisecond: 0,
  });
  return wallAsUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/** Offset of the zone from UTC at an instant, in milliseconds (east positive). */
export function zoneOffset(instant: number, timeZone: string): number | null {
  if (UTC_NAMES.has(timeZone)) return 0;
  const formatter = formatterFor(timeZone);
  if (formatter === null || !Number.isFinite(instant)) return null;
  const bucket = Math.floor(instant / OFFSET_BUCKET_MS);
  let zoneCache = offsetCache.get(timeZone);
  const cached = zoneCache?.get(bucket);
  if (cached !== undefined) return cached;
  const offset = zoneOffsetUncached(instant, formatter);
  if (cachedOffsets >= OFFSET_CACHE_LIMIT) {
    offsetCache.clear();
    cachedOffsets = 0;
    zoneCache = undefined;
  }
  if (zoneCache === undefined) {
    zoneCache = new Map();
    offsetCache.set(timeZone, zoneCache);
  }
  zoneCache.set(bucket, offset);
  cachedOffsets += 1;
  return offset;
}

/**
 * The instant a wall time names in a zone. A time repeated when clocks go back is taken at its
 * first occurrence; a time skipped when clocks go forward is moved forward by the gap, as a
 * person setting a clock would read it.
 */
export function zonedTimeToUtc(wall: WallTime, timeZone: string): Date | null {
  const asUtc = utcMilliseconds(wall);
  // No zone is a day away from UTC, and no zone changes its offset twice within two days.
  const before = zoneOffset(asUtc - DAY_MS, timeZone);
  const after = zoneOffset(asUtc + DAY_MS, timeZone);
  if (before === null || after === null) return null;
  if (before === after) return new Date(asUtc - before);
  const candidates = [asUtc - before, asUtc - after].filter(
    (instant) => zoneOffset(instant, timeZone) === asUtc - instant,
  );
  return new Date(candidates.length > 0 ? Math.min(...candidates) : asUtc - before);
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function isValidWallTime(wall: WallTime): boolean {
  return (
    Number.isInteger(wall.year) &&
    wall.month >= 1 &&
    wall.month <= 12 &&
    wall.day >= 1 &&
    wall.day <= daysInMonth(wall.year, wall.month) &&
    wall.hour >= 0 &&
    wall.hour <= 23 &&
    wall.minute >= 0 &&
    wall.minute <= 59 &&
    wall.second >= 0 &&
    wall.second <= 59 &&
    wall.millisecond >= 0 &&
    wall.millisecond <= 999
  );
}

/**
 * The year of a year-less stamp (RFC 3164 `Mmm dd hh:mm:ss`), read as wall time in the
 * appliance's zone: the latest year that does not put the stamp more than 7 days after the
 * reference time, provided that leaves it at most 366 days before it. The reference is when
 * the file arrived (not "now"), so re-reading an old file gives the same years. Null when no
 * year fits, as for 29 February far from any leap year.
 */
export function inferYear(
  monthDay: MonthDayTime,
  receiveTime: Date,
  timeZone: string,
): number | null {
  return inferYearWith(monthDay, receiveTime, (wall) => zonedTimeToUtc(wall, timeZone));
}

/** inferYear for a stamp whose wall time is turned into an instant by `toInstant`. */
export function inferYearWith(
  monthDay: MonthDayTime,
  receiveTime: Date,
  toInstant: (wall: WallTime) => Date | null,
): number | null {
  const reference = receiveTime.getTime();
  if (!Number.isFinite(reference)) return null;
  // No zone is more than a day from UTC, so these three years hold every candidate.
  const utcYear = receiveTime.getUTCFullYear();
  for (const year of [utcYear + 1, utcYear, utcYear - 1]) {
    const { month, day, hour, minute, second, millisecond } = monthDay;
    const wall = { year, month, day, hour, minute, second, millisecond };
    if (!isValidWallTime(wall)) continue;
    // Cheap test first: a candidate a day past the limit even as UTC is past it in any zone.
    if (utcMilliseconds(wall) - DAY_MS > reference + YEAR_INFERENCE_MAX_FUTURE_MS) continue;
    const instant = toInstant(wall)?.getTime();
    if (instant === undefined) return null;
    if (instant > reference + YEAR_INFERENCE_MAX_FUTURE_MS) continue;
    return instant >= reference - YEAR_INFERENCE_MAX_PAST_MS ? year : null;
  }
  return null;
}

/**
 * How far the appliance's clock is ahead of ours as seen in one event, in seconds (negative:
 * behind, or simply delivered late). Only reported; event times are never shifted by it.
 */
export function skewSeconds(eventTime: Date, receiveTime: Date): number {
  return (eventTime.getTime() - receiveTime.getTime()) / 1000;
}

export interface ReadTime {
  time: Date;
  /** The text gave no offset, so the appliance's zone was applied. */
  zoneAssumed: boolean;
}

const ISO_TIMESTAMP = new RegExp(
  String.raw`^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?` +
    String.raw`\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$`,
);

function offsetMilliseconds(text: string): number | null {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes) * MINUTE_MS;
}

/** Milliseconds from a decimal fraction of a second, cut (not rounded) to whole ones. */
export function fractionMilliseconds(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
}

/** Applies an explicit offset when there is one, else the appliance's zone. */
export function wallTimeToInstant(
  wall: WallTime,
  offset: number | null,
  timeZone: string,
): ReadTime | null {
  if (!isValidWallTime(wall)) return null;
  if (offset !== null)
    return { time: new Date(utcMilliseconds(wall) - offset), zoneAssumed: false };
  const time = zonedTimeToUtc(wall, timeZone);
  return time === null ? null : { time, zoneAssumed: true };
}

/** Whether text has the shape of an ISO 8601 date-time, valid values or not. */
export function hasIsoTimestampShape(text: string): boolean {
  return ISO_TIMESTAMP.test(text);
}

/** RFC 3339 / ISO 8601 date-time, with the liberties real senders take (space, +hhmm, ','). */
export function readIsoTimestamp(text: string, timeZone: string): ReadTime | null {
  const match = ISO_TIMESTAMP.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second, fraction, offsetText] = match;
  const offset = offsetText === undefined ? null : offsetMilliseconds(offsetText);
  if (offsetText !== undefined && offset === null) return null;
  const wall = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fractionMilliseconds(fraction),
  };
  return wallTimeToInstant(wall, offset, timeZone);
}

const EPOCH = /^(\d{9,19})(?:\.(\d{1,9}))?$/;
/** Digits of the integer part to the unit they count: s, ms, µs, ns. */
const EPOCH_SCALE: ReadonlyMap<number, number> = new Map([
  [9, 1000],
  [10, 1000],
  [13, 1],
  [16, 1e-3],
  [19, 1e-6],
]);

/** Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by length. */
export function readEpochTimestamp(text: string): Date | null {
  const match = EPOCH.exec(text);
  if (match === null) return null;
  const [, whole = '', fraction] = match;
  const scale = EPOCH_SCALE.get(whole.length);
  if (scale === undefined) return null;
  const milliseconds = Math.floor(Number(`${whole}.${fraction ?? '0'}`) * scale);
  return Number.isFinite(milliseconds) ? new Date(milliseconds) : null;
}

/** Any stamp a key=value or JSON sender is known to write into a time field. */
export function readTimestamp(text: string, timeZone: string): ReadTime | null {
  const trimmed = text.trim();
  const epoch = readEpochTimestamp(trimmed);
  if (epoch !== null) return { time: epoch, zoneAssumed: false };
  return readIsoTimestamp(trimmed, timeZone);
}
