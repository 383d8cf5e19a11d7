/** Tells octet-counted from newline-delimited framing by the first bytes of a stream. */
import { DIGIT_0, LESS_THAN, MAX_OCTET_COUNT_DIGITS, SPACE, isDigit } from './frame-bytes.js';
import type { Framing } from './framing-types.js';

/**
 * Whether a stream starting with these bytes is octet-counted: `[1-9][0-9]* <`. Undefined
 * while too few bytes have arrived to tell.
 */
export function detectFraming(head: Uint8Array): Framing | undefined {
  const first = head[0];
  if (first === undefined) return undefined;
  if (first === DIGIT_0 || !isDigit(first)) return 'newline';
  let index = 1;
  while (index < head.length && isDigit(head[index] ?? 0)) index += 1;
  if (index > MAX_OCTET_COUNT_DIGITS) return 'newline';
  if (index >= head.length) return undefined;
  if (head[index] !== SPACE) return 'newline';
  if (index + 1 >= head.length) return undefined;
  return head[index + 1] === LESS_THAN ? 'octet-counted' : 'newline';
}
