/**
 * MD4 (RFC 1320). rsync peers of protocols 27 to 29 use it for block and whole-file sums, and
 * Node's OpenSSL 3 no longer offers it without the legacy provider, so it lives here.
 */

const BLOCK_BYTES = 64;
/** Bytes whose bit count fits below 2^32; the length field splits there. */
const LOW_LENGTH_BYTES = 0x20000000;

const ROUND_2 = 0x5a827999;
const ROUND_3 = 0x6ed9eba1;
const ROUND_1_SHIFTS = [3, 7, 11, 19];
const ROUND_2_SHIFTS = [3, 5, 9, 13];
const ROUND_3_SHIFTS = [3, 9, 11, 15];
const ROUND_2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const ROUND_3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

function rotateLeft(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

export class Md4 {
  private readonly state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  private readonly words = new Int32Array(16);
  private readonly pending = Buffer.alloc(BLOCK_BYTES);
  private pendingLength = 0;
  private totalLength = 0;

  update(data: Uint8Array): this {
    let offset = 0;
    if (this.pendingLength > 0) {
      offset = Math.min(data.length, BLOCK_BYTES - this.pendingLength);
      this.pending.set(data.subarray(0, offset), this.pendingLength);
      this.pendingLength += offset;
      if (this.pendingLength < BLOCK_BYTES) {
        this.totalLength += data.length;
        return this;
      }
      this.compress(this.pending, 0);
      this.pendingLength = 0;
    }
    for (; offset + BLOCK_BYTES <= data.length; offset += BLOCK_BYTES) this.compress(data, offset);
    this.pending.set(data.subarray(offset), 0);
    this.pendingLength = data.length - offset;
    this.totalLength += data.length;
    return this;
  }

  /** The digest of everything so far; the hash stays usable, so a caller may peek midway. */
  digest(): Buffer {
    const copy = new Md4();
    copy.state.set(this.state);
    copy.pending.set(this.pending);
    copy.pendingLength = this.pendingLength;
    copy.totalLength = this.totalLength;
    return copy.finish();
  }

  private finish(): Buffer {
    const length = this.totalLength;
    const padding = Buffer.alloc(((BLOCK_BYTES * 2 - 9 - this.pendingLength) % BLOCK_BYTES) + 9);
    padding[0] = 0x80;
    const tail = padding.length - 8;
    padding.writeUInt32LE((length % LOW_LENGTH_BYTES) * 8, tail);
    padding.writeUInt32LE(Math.floor(length / LOW_LENGTH_BYTES), tail + 4);
    this.update(padding);
    const result = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) result.writeInt32LE(this.state[i] as number, i * 4);
    return result;
  }

  private compress(block: Uint8Array, offset: number): void {
    const words = this.loadWords(block, offset);
    const [a0 = 0, b0 = 0, c0 = 0, d0 = 0] = this.state;
    let [a, b, c, d] = [a0, b0, c0, d0];
    // Each step updates a, then d, c and b in turn from the other three; renaming the
    // registers after every step lets one formula serve all four.
    for (let step = 0; step < 16; step++) {
      const sum = (a + ((b & c) | (~b & d)) + (words[step] as number)) | 0;
      [a, b, c, d] = [d, rotateLeft(sum, ROUND_1_SHIFTS[step & 3] as number), b, c];
    }
    for (let step = 0; step < 16; step++) {
      const word = words[ROUND_2_ORDER[step] as number] as number;
      const sum = (a + ((b & c) | (b & d) | (c & d)) + word + ROUND_2) | 0;
      [a, b, c, d] = [d, rotateLeft(sum, ROUND_2_SHIFTS[step & 3] as number), b, c];
    }
    for (let step = 0; step < 16; step++) {
      const word = words[ROUND_3_ORDER[step] as number] as number;
      const sum = (a + (b ^ c ^ d) + word + ROUND_3) | 0;
      [a, b, c, d] = [d, rotateLeft(sum, ROUND_3_SHIFTS[step & 3] as number), b, c];
    }
    this.state[0] = a0 + a;
    this.state[1] = b0 + b;
    this.state[2] = c0 + c;
    this.state[3] = d0 + d;
  }

  private loadWords(block: Uint8Array, offset: number): Int32Array {
    for (let i = 0; i < 16; i++) {
      const at = offset + i * 4;
      this.words[i] =
        (block[at] as number) |
        ((block[at + 1] as number) << 8) |
        ((block[at + 2] as number) << 16) |
        ((block[at + 3] as number) << 24);
    }
    return this.words;
  }
}

/** MD4 of the parts, in order, as one message. */
export function md4(...parts: Uint8Array[]): Buffer {
  const hash = new Md4();
  for (const part of parts) hash.update(part);
  return hash.digest();
}
