/**
 * Splitting a `key=value` line into its pairs; what the pairs mean is read elsewhere
 * (common-fields.ts).
 */

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface KeyValueText {
  /** Text before the first key, such as a program name; empty when the line starts with one. */
  prefix: string;
  pairs: KeyValuePair[];
}

/**
 * A key is only recognised where whitespace (or the line start) is followed by this token and
 * `=`; anything else, `=` included, stays in the value (handed case C01).
 */
const KEY_AT = /[A-Za-z0-9_.[\],@-]+(?==)/y;

function isSpace(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function skipSpaces(text: string, from: number): number {
  let index = from;
  while (index < text.length && isSpace(text, index)) index += 1;
  return index;
}

function keyAt(text: string, position: number): string | null {
  KEY_AT.lastIndex = position;
  return KEY_AT.exec(text)?.[0] ?? null;
}

/** Position of the next whitespace-preceded key at or after `from`, or the text length. */
function nextKeyStart(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    if (!isSpace(text, index)) continue;
    const start = skipSpaces(text, index + 1);
    if (keyAt(text, start) !== null) return start;
    index = start - 1;
  }
  return text.length;
}

/** `\=` is an escaped equals sign (C02); `\\` a backslash; other backslashes stay as sent. */
function unescapeBare(value: string): string {
  return value.includes('\\') ? value.replace(/\\([=\\])/g, '$1') : value;
}

function unescapeQuoted(value: string, quote: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.)/g, (escape, char: string) =>
    char === quote || char === '\\' ? char : escape,
  );
}

/** A quoted value ends at the first unescaped matching quote followed by whitespace or end. */
function readQuoted(text: string, start: number): { value: string; next: number } | null {
  const quote = text[start] ?? '';
  for (let index = start + 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') {
      index += 1;
      continue;
    }
    if (char !== quote) continue;
    if (index + 1 === text.length || isSpace(text, index + 1)) {
      return { value: unescapeQuoted(text.slice(start + 1, index), quote), next: index + 1 };
    }
  }
  return null;
}

/**
 * Where a search for each quote's closing found none: a later search for the same quote from
 * further on walks the same bytes in step and cannot find one either, so it is skipped. This
 * keeps lines like `a="x a="x a="x …` linear.
 */
type UnclosedQuotes = Map<string, number>;

function readValue(
  text: string,
  start: number,
  unclosed: UnclosedQuotes,
): { value: string; next: number } {
  const first = text[start];
  if ((first === '"' || first === "'") && start < (unclosed.get(first) ?? Infinity)) {
    const quoted = readQuoted(text, start);
    if (quoted !== null) return quoted;
    unclosed.set(first, start);
  }
  const next = nextKeyStart(text, start);
  return { value: unescapeBare(text.slice(start, next).trimEnd()), next };
}

/** Splits a line into its pairs, in order, duplicates kept; stops after `maxPairs`. */
export function readKeyValuePairs(text: string, maxPairs = Infinity): KeyValueText {
  let position = skipSpaces(text, 0);
  if (keyAt(text, position) === null) position = nextKeyStart(text, position);
  const prefix = text.slice(0, position).trim();
  const pairs: KeyValuePair[] = [];
  const unclosed: UnclosedQuotes = new Map();
  while (position < text.length && pairs.length < maxPairs) {
    const key = keyAt(text, position);
    if (key === null) break;
    const value = readValue(text, position + key.length + 1, unclosed);
    pairs.push({ key, value: value.value });
    position = skipSpaces(text, value.next);
  }
  return { prefix, pairs };
}
