/**
 * The clock (`HH:mm:ss`) inside a stamp's text. The stamps of one file share their date and
 * zone and differ in the time of day, so a stamp can be read as its day (the same text with
 * the clock set to midnight, read once and remembered) plus the clock.
 */

export interface StampClock {
  /** The text with the clock's digits set to zero: same length, same shape. */
  midnightText: string;
  /** Milliseconds since midnight that the clock names; the clock is always a valid one. */
  sinceMidnightMs: number;
}

const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at);
  const ones = text.charCodeAt(at + 1);
  return isDigit(tens) && isDigit(ones) ? (tens - ZERO) * 10 + ones - ZERO : -1;
}

/**
 * The text's first colon as the start of a clock `H:mm:ss` or `HH:mm:ss` with a valid time
 * of day, not touching other digits on either side; null when it is anything else. The bounds
 * keep every stamp pattern matching the midnight text exactly where it matched the clock.
 */
export function findStampClock(text: string): StampClock | null {
  const colon = text.indexOf(':');
  if (colon < 1 || !isDigit(text.charCodeAt(colon - 1))) return null;
  const hourStart = colon >= 2 && isDigit(text.charCodeAt(colon - 2)) ? colon - 2 : colon - 1;
  if (hourStart > 0 && isDigit(text.charCodeAt(hourStart - 1))) return null;
  if (text.charCodeAt(colon + 3) !== COLON || isDigit(text.charCodeAt(colon + 6))) return null;
  const hour = Number(text.slice(hourStart, colon));
  const minute = twoDigits(text, colon + 1);
  const second = twoDigits(text, colon + 4);
  if (hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const midnightClock = (colon - hourStart === 2 ? '00' : '0') + ':00:00';
  return {
    midnightText: text.slice(0, hourStart) + midnightClock + text.slice(colon + 6),
    sinceMidnightMs: ((hour * 60 + minute) * 60 + second) * 1000,
  };
}
