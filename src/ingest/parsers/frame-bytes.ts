/** The bytes framing looks for, and checks on a frame's content. */
import { isUtf8 } from 'node:buffer';

export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
const TAB = 0x09;
const NUL = 0x00;
export const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
export const LESS_THAN = 0x3c;
export const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Nine digits count up to ~1 GB, more than any sender writes; longer is desynchronised. */
export const MAX_OCTET_COUNT_DIGITS = 9;

export const isDigit = (byte: number): boolean => byte >= DIGIT_0 && byte <= DIGIT_9;
export const isBlank = (byte: number): boolean =>
  byte === SPACE || byte === TAB || byte === CR || byte === NUL;

export function decode(bytes: Uint8Array): { text: string; validUtf8: boolean } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return { text, validUtf8: isUtf8(bytes) };
}

export function isBlankContent(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === SPACE || byte === TAB);
}

export function startsWithBom(bytes: Uint8Array): boolean {
  return UTF8_BOM.every((byte, index) => bytes[index] === byte);
}
