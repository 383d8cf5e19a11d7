import { protocolError } from './errors.js';
import { type ByteSource, encodeInt32 } from './wire.js';

const BLOCK_SIZE = 700;
const OLD_MAX_BLOCK_SIZE = 1 << 29;
const MAX_BLOCK_SIZE = 1 << 17;
const BLOCKSUM_BIAS = 10;
/** Strong-sum length of the first pass (rsync's SHORT_SUM_LENGTH) and of the redo pass. */
export const SHORT_SUM_LENGTH = 2;
export const FULL_SUM_LENGTH = 16;

/** How the copy already held is cut into blocks for the client to match against. */
export interface SumHead {
  count: number;
  blockLength: number;
  strongLength: number;
  remainder: number;
}

export const NO_BLOCKS: SumHead = { count: 0, blockLength: 0, strongLength: 0, remainder: 0 };

/** Bytes of the held copy that the blocks cover. */
export function coveredLength(head: SumHead): number {
  if (head.count === 0) return 0;
  const full = head.count * head.blockLength;
  return head.remainder === 0 ? full : full - (head.blockLength - head.remainder);
}

/**
 * rsync's block sizing (generator.c, sum_sizes_sqroot): blocks of about the square root of the
 * length, rounded to a multiple of 8, and a strong-sum length that grows with the number of
 * blocks so that false matches stay unlikely.
 */
export function sumHeadFor(
  length: number,
  protocol: number,
  sumLength: number,
  digestLength: number,
): SumHead {
  const blockLength = blockLengthFor(length, protocol);
  const maxStrong = Math.min(FULL_SUM_LENGTH, digestLength);
  const strongLength =
    sumLength === FULL_SUM_LENGTH ? maxStrong : shortStrongLength(length, blockLength, maxStrong);
  const remainder = length % blockLength;
  const count = Math.floor(length / blockLength) + (remainder !== 0 ? 1 : 0);
  return { count, blockLength, strongLength, remainder };
}

function blockLengthFor(length: number, protocol: number): number {
  if (length <= BLOCK_SIZE * BLOCK_SIZE) return BLOCK_SIZE;
  const maxBlock = protocol < 30 ? OLD_MAX_BLOCK_SIZE : MAX_BLOCK_SIZE;
  let bit = 1;
  for (let rest = Math.floor(length / 4); rest > 0; rest = Math.floor(rest / 4)) bit *= 2;
  if (bit >= maxBlock) return maxBlock;
  let blockLength = 0;
  for (; bit >= 8; bit /= 2) {
    blockLength |= bit;
    if (length < blockLength * blockLength) blockLength &= ~bit;
  }
  return Math.max(blockLength, BLOCK_SIZE);
}

function shortStrongLength(length: number, blockLength: number, maxStrong: number): number {
  let bias = BLOCKSUM_BIAS;
  for (let rest = Math.floor(length / 2); rest > 0; rest = Math.floor(rest / 2)) bias += 2;
  for (let half = blockLength >> 1; half > 0 && bias > 0; half >>= 1) bias--;
  const strong = Math.trunc((bias + 1 - 32 + 7) / 8);
  return Math.min(Math.max(strong, SHORT_SUM_LENGTH), maxStrong);
}

export function encodeSumHead(head: SumHead, protocol: number): Buffer {
  return Buffer.concat([
    encodeInt32(head.count),
    encodeInt32(head.blockLength),
    ...(protocol >= 27 ? [encodeInt32(head.strongLength)] : []),
    encodeInt32(head.remainder),
  ]);
}

/** The sum head the client echoes before a file's data; it must be the one it was sent. */
export async function readSumHead(source: ByteSource, protocol: number): Promise<SumHead> {
  const count = await source.readInt32();
  const blockLength = await source.readInt32();
  const strongLength = await source.readInt32();
  const remainder = await source.readInt32();
  const maxBlock = protocol < 30 ? OLD_MAX_BLOCK_SIZE : MAX_BLOCK_SIZE;
  const valid =
    count >= 0 &&
    blockLength >= 0 &&
    blockLength <= maxBlock &&
    (count === 0 || blockLength > 0) &&
    strongLength >= 0 &&
    strongLength <= FULL_SUM_LENGTH &&
    remainder >= 0 &&
    remainder < Math.max(blockLength, 1);
  if (!valid) throw protocolError('the client sent an invalid checksum header');
  return { count, blockLength, strongLength, remainder };
}

export function sameSumHead(a: SumHead, b: SumHead): boolean {
  return (
    a.count === b.count &&
    a.blockLength === b.blockLength &&
    a.strongLength === b.strongLength &&
    a.remainder === b.remainder
  );
}
