/** How to answer a GET with a Range header (RFC 9110 §14): the whole, a part, or 416. */
export type RangeAnswer =
  { kind: 'whole' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const WHOLE: RangeAnswer = { kind: 'whole' };
const UNSATISFIABLE: RangeAnswer = { kind: 'unsatisfiable' };
const ONE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * One byte range of a representation of `size` bytes. A header that is malformed, names
 * several ranges or an If-Range that no longer matches gets the whole content, which the RFC
 * allows; only a well-formed range that lies beyond the end is unsatisfiable.
 */
export function byteRange(
  header: string | undefined,
  size: number,
  ifRange: string | undefined,
  etag: string,
): RangeAnswer {
  if (header === undefined || (ifRange !== undefined && ifRange !== etag)) return WHOLE;
  const match = ONE_RANGE.exec(header.trim());
  if (match === null) return WHOLE;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return WHOLE;
  if (first === '') return suffix(Number(last), size);

  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (start >= size) return UNSATISFIABLE;
  if (end < start) return WHOLE;
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

function suffix(length: number, size: number): RangeAnswer {
  if (length === 0 || size === 0) return UNSATISFIABLE;
  return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
}
