import { refused } from './errors.js';
import type { ChecksumChoice, ChecksumName, CompressName } from './server-option-types.js';

/** The values options carry: numbers, sizes, checksum and compression names. */

export function wholeNumber(value: string, spelled: string, min: number, max: number): number {
  const number = /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(number)) throw refused(`tmsp: ${spelled} needs a whole number`);
  if (number < min || number > max) throw refused(`tmsp: ${spelled} is out of range`);
  return number;
}

export const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
export const int32 = (value: string, spelled: string): number =>
  wholeNumber(value, spelled, ...INT32);

/** rsync's size syntax: `10M`, `1.5G`, `100KB` (powers of 1000), `2MiB`, `1k-1`. */
export function size(value: string, spelled: string): number {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(?:([bkmgtp])(b|ib)?)?([+-]1)?$/i.exec(value);
  if (match === null) throw refused(`tmsp: ${spelled} needs a size such as 10M`);
  const [, amount, unit, base, adjust] = match;
  const power = 'bkmgtp'.indexOf((unit ?? 'b').toLowerCase());
  const multiplier = (base?.toLowerCase() === 'b' ? 1000 : 1024) ** power;
  const bytes = Math.floor(Number(amount) * multiplier) + Number(adjust ?? 0);
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw refused(`tmsp: ${spelled} is too large`);
  return bytes;
}

const CHECKSUMS = new Map<string, ChecksumName>([
  ...(['xxh128', 'xxh3', 'xxh64', 'md5', 'md4', 'sha1', 'none', 'auto'] as const).map(
    (name) => [name, name] as const,
  ),
  ['xxhash', 'xxh64'],
]);

export function checksumChoice(value: string, spelled: string): ChecksumChoice | null {
  const names = value.toLowerCase().split(',');
  const [transfer, file = transfer] = names.map((name) => CHECKSUMS.get(name));
  if (names.length > 2 || transfer === undefined || file === undefined) {
    throw refused(`tmsp: ${spelled} names a checksum this server does not know`);
  }
  return transfer === 'auto' && file === 'auto' ? null : { transfer, file };
}

const COMPRESSIONS = new Set(['zstd', 'lz4', 'zlibx', 'zlib', 'none']);

export function compressChoice(value: string, spelled: string): CompressName | 'none' {
  const name = value.toLowerCase();
  if (!COMPRESSIONS.has(name)) {
    throw refused(`tmsp: ${spelled} names a compression this server does not know`);
  }
  return name as CompressName | 'none';
}
