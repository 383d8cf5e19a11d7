/**
 * Escaping for CEF that we write (export or forwarding to a customer's SIEM), so that text an
 * attacker put into an event cannot forge fields or start a new record (handed case C07).
 * Backslash is escaped first; `|` only in header fields and `=` only in extension values, as
 * the CEF specification defines.
 */

const HEADER_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '|': '\\|',
  // A header has no escape for line breaks; a space keeps the record on one line.
  '\r': ' ',
  '\n': ' ',
};

const VALUE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '=': '\\=',
  '\r': '\\r',
  '\n': '\\n',
};

function escapeWith(text: string, pattern: RegExp, escapes: Readonly<Record<string, string>>) {
  return text.replace(pattern, (char) => escapes[char] ?? char);
}

/** A header field (vendor, product, version, event class id, name, severity). */
export function escapeCefHeader(text: string): string {
  return escapeWith(text, /[\\|\r\n]/g, HEADER_ESCAPES);
}

/**
 * An extension value. Spaces need no escape, but readers (ours included) drop spaces at either
 * end of a value, because they cannot be told from the separator between pairs.
 */
export function escapeCefValue(text: string): string {
  return escapeWith(text, /[\\=\r\n]/g, VALUE_ESCAPES);
}
