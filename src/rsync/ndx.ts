import { protocolError } from './errors.js';
import { type ByteSource, encodeInt32 } from './wire.js';

/** File-list indexes with a meaning of their own (rsync.h). */
export const NDX_DONE = -1;
export const NDX_FLIST_EOF = -2;
export const NDX_DEL_STATS = -3;

/**
 * File-list indexes as rsync sends them: a plain int before protocol 30, then a difference to
 * the previous index of the same sign in one, three or five bytes. Each direction keeps its
 * own previous values, so reader and writer are separate objects.
 */
export class NdxReader {
  private previousPositive = -1;
  private previousNegative = 1;

  constructor(
    private readonly source: ByteSource,
    private readonly protocol: number,
  ) {}

  async read(): Promise<number> {
    if (this.protocol < 30) return this.source.readInt32();
    let first = await this.source.readByte();
    if (first === 0) return NDX_DONE;
    const negative = first === 0xff;
    if (negative) first = await this.source.readByte();
    const previous = negative ? this.previousNegative : this.previousPositive;
    const value = first === 0xfe ? await this.readLong(previous) : first + previous;
    if (value > 0x7fffffff || value < 0) throw protocolError(`invalid file index ${value}`);
    if (negative) this.previousNegative = value;
    else this.previousPositive = value;
    return negative ? -value : value;
  }

  private async readLong(previous: number): Promise<number> {
    const bytes = await this.source.readBytes(2);
    const high = bytes[0] as number;
    if ((high & 0x80) === 0) return high * 0x100 + (bytes[1] as number) + previous;
    const rest = await this.source.readBytes(2);
    return Buffer.from([
      bytes[1] as number,
      rest[0] as number,
      rest[1] as number,
      high & 0x7f,
    ]).readUInt32LE(0);
  }
}

export class NdxWriter {
  private previousPositive = -1;
  private previousNegative = 1;

  constructor(private readonly protocol: number) {}

  encode(ndx: number): Buffer {
    if (this.protocol < 30) return encodeInt32(ndx);
    if (ndx === NDX_DONE) return Buffer.from([0]);
    const prefix = ndx < 0 ? [0xff] : [];
    const value = Math.abs(ndx);
    const diff = ndx < 0 ? value - this.previousNegative : value - this.previousPositive;
    if (ndx < 0) this.previousNegative = value;
    else this.previousPositive = value;
    if (diff > 0 && diff < 0xfe) return Buffer.from([...prefix, diff]);
    if (diff < 0 || diff > 0x7fff) {
      const full = [
        (value >>> 24) | 0x80,
        value & 0xff,
        (value >>> 8) & 0xff,
        (value >>> 16) & 0xff,
      ];
      return Buffer.from([...prefix, 0xfe, ...full]);
    }
    return Buffer.from([...prefix, 0xfe, diff >> 8, diff & 0xff]);
  }
}
