/**
 * LEEF's `devTime` read with the sender's own `devTimeFormat`, a Java SimpleDateFormat pattern
 * (e.g. `MMM dd yyyy HH:mm:ss z`). The pattern decides day-month order, so `03/04/2025` is read
 * the way the appliance meant it. Both texts come from the wire: matching is one pass with no
 * backtracking, and a pattern using letters we do not know reads nothing rather than guessing.
 */
import { MAX_STAMP_LENGTH, type Stamp, monthNumber, readZone } from './cef-time.js';
import { fractionMilliseconds, isValidWallTime } from './zoned-time.js';

/** A pattern letter repeated `count` times, or (letter null) literal text to match. */
interface Token {
  letter: string | null;
  count: number;
  text: string;
}

interface Fields {
  year: number | null;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  pm: boolean | null;
  zone: string | null;
}

type Setter = (fields: Fields, value: number, digits: string, count: number) => void;

const setHour: Setter = (fields, value) => (fields.hour = value);
const NUMBER_SETTERS: ReadonlyMap<string, Setter> = new Map<string, Setter>([
  // `yy` is 20yy: Java's window slides with the clock, so an old file would read differently.
  [
    'y',
    (fields, value, digits, count) =>
      (fields.year = count === 2 && digits.length === 2 ? 2000 + value : value),
  ],
  ['M', (fields, value) => (fields.month = value)],
  ['d', (fields, value) => (fields.day = value)],
  ['H', setHour],
  ['h', setHour],
  ['K', setHour],
  ['k', (fields, value) => (fields.hour = value === 24 ? 0 : value)],
  ['m', (fields, value) => (fields.minute = value)],
  ['s', (fields, value) => (fields.second = value)],
  ['S', (fields, _value, digits) => (fields.millisecond = fractionMilliseconds(digits))],
]);
const NUMERIC = new Set(NUMBER_SETTERS.keys());
const TEXTUAL = new Set(['E', 'a', 'z', 'Z', 'X']);
const MAX_PATTERN_LENGTH = 64;

function isLetter(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
}

function quotedLiteral(pattern: string, start: number): { text: string; end: number } {
  const close = pattern.indexOf("'", start + 1);
  const end = close < 0 ? pattern.length : close + 1;
  const text = pattern.slice(start + 1, close < 0 ? pattern.length : close);
  return { text: text === '' ? "'" : text, end };
}

function tokenise(pattern: string): Token[] | null {
  const tokens: Token[] = [];
  let index = 0;
  while (index < pattern.length) {
    const char = pattern.charAt(index);
    if (char === "'") {
      const literal = quotedLiteral(pattern, index);
      tokens.push({ letter: null, count: 0, text: literal.text });
      index = literal.end;
    } else if (isLetter(char)) {
      if (!NUMERIC.has(char) && !TEXTUAL.has(char)) return null;
      let end = index;
      while (pattern.charAt(end) === char) end++;
      tokens.push({ letter: char, count: end - index, text: '' });
      index = end;
    } else {
      tokens.push({ letter: null, count: 0, text: char });
      index++;
    }
  }
  return tokens;
}

class Cursor {
  index = 0;
  constructor(readonly text: string) {}

  digits(min: number, max: number): number | null {
    let end = this.index;
    while (end < this.text.length && end - this.index < max && /\d/.test(this.text.charAt(end))) {
      end++;
    }
    if (end - this.index < min) return null;
    const value = Number(this.text.slice(this.index, end));
    this.index = end;
    return value;
  }

  word(pattern: RegExp): string | null {
    let end = this.index;
    while (end < this.text.length && pattern.test(this.text.charAt(end))) end++;
    if (end === this.index) return null;
    const word = this.text.slice(this.index, end);
    this.index = end;
    return word;
  }

  literal(text: string): boolean {
    if (text === ' ') return this.word(/ /) !== null;
    if (!this.text.startsWith(text, this.index)) return false;
    this.index += text.length;
    return true;
  }
}

/** Digits a numeric field takes: exactly its count when another number follows at once. */
function width(token: Token, next: Token | undefined): { min: number; max: number } {
  if (next?.letter !== undefined && next.letter !== null && NUMERIC.has(next.letter)) {
    return { min: token.count, max: token.count };
  }
  if (token.letter === 'S') return { min: 1, max: 9 };
  return { min: 1, max: token.letter === 'y' ? 4 : 2 };
}

function readNumber(cursor: Cursor, token: Token, next: Token | undefined, fields: Fields) {
  const start = cursor.index;
  const { min, max } = width(token, next);
  const value = cursor.digits(min, max);
  const setter = NUMBER_SETTERS.get(token.letter ?? '');
  if (value === null || setter === undefined) return false;
  setter(fields, value, cursor.text.slice(start, cursor.index), token.count);
  return true;
}

function readText(cursor: Cursor, token: Token, fields: Fields): boolean {
  if (token.letter === 'M') {
    const month = monthNumber(cursor.word(/[A-Za-z]/) ?? '');
    if (month !== null) fields.month = month;
    return month !== null;
  }
  if (token.letter === 'E') return cursor.word(/[A-Za-z]/) !== null;
  if (token.letter === 'a') {
    const marker = cursor
      .word(/[AaPpMm.]/)
      ?.toLowerCase()
      .replaceAll('.', '');
    fields.pm = marker === 'pm' ? true : marker === 'am' ? false : null;
    return fields.pm !== null;
  }
  fields.zone = cursor.word(/[A-Za-z0-9_/+:-]/);
  return fields.zone !== null;
}

function readToken(cursor: Cursor, token: Token, next: Token | undefined, fields: Fields) {
  if (token.letter === null) return cursor.literal(token.text);
  if (token.letter === 'M' && token.count >= 3) return readText(cursor, token, fields);
  if (NUMERIC.has(token.letter)) return readNumber(cursor, token, next, fields);
  return readText(cursor, token, fields);
}

function toStamp(fields: Fields, usesTwelveHour: boolean): Stamp | null {
  const { year, month, day, minute, second, millisecond, pm } = fields;
  const hour = usesTwelveHour && pm !== null ? (fields.hour % 12) + (pm ? 12 : 0) : fields.hour;
  const wall = { month, day, hour, minute, second, millisecond };
  if (!isValidWallTime({ ...wall, year: year ?? 2000 })) return null;
  const zone = fields.zone === null ? { offsetMs: null, timeZone: null } : readZone(fields.zone);
  return zone === null ? null : { kind: 'wall', wall, year, ...zone };
}

/** Reads `text` with a SimpleDateFormat `pattern`; null when it does not fit the pattern. */
export function readPatternStamp(text: string, pattern: string): Stamp | null {
  const trimmed = text.trim();
  if (trimmed.length > MAX_STAMP_LENGTH || pattern.length > MAX_PATTERN_LENGTH) return null;
  const tokens = tokenise(pattern.trim());
  if (tokens === null) return null;
  const cursor = new Cursor(trimmed);
  const fields: Fields = {
    year: null,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    millisecond: 0,
    pm: null,
    zone: null,
  };
  for (const [index, token] of tokens.entries()) {
    if (!readToken(cursor, token, tokens[index + 1], fields)) return null;
  }
  if (cursor.index !== trimmed.length) return null;
  return toStamp(
    fields,
    tokens.some((token) => token.letter === 'h' || token.letter === 'K'),
  );
}
