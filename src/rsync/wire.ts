import { streamError, protocolError } from './errors.js';

/**
 * rsync's integer encodings (io.c): little-endian fixed ints, the 16-bit "shortint", the
 * variable-length varint / varlong of protocol 30+, and the longint of older protocols.
 * Numbers stay JavaScript numbers: every length and offset rsync sends fits in 2^53.
 */

/** How many extra bytes follow a varint whose first byte is `first` (rsync's table). */
function extraBytes(first: number): number {
  if (first < 0x80) return 0;
  if (first < 0xc0) return 1;
  if (first < 0xe0) return 2;
  if (first < 0xf0) return 3;
  if (first < 0xf8) return 4;
  if (first < 0xfc) return 5;
  return 6;
}

/**
 * A source of protocol bytes. Subclasses only say how to get more bytes; the decoders read
 * straight from the buffer when enough is there, so small integers cost no I/O.
 */
export abstract class ByteSource {
  protected buffer: Buffer = Buffer.alloc(0);
  protected offset = 0;
  /** Bytes handed out so far, for the statistics the client prints. */
  consumed = 0;

  /** Makes at least `count` unread bytes available, or throws a stream error at the end. */
  protected abstract fill(count: number): Promise<void>;

  protected get available(): number {
    return this.buffer.length - this.offset;
  }

  async readBytes(count: number): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    if (this.available < count) await this.fill(count);
    const bytes = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    this.consumed += count;
    return bytes;
  }

  async readByte(): Promise<number> {
    if (this.available < 1) await this.fill(1);
    this.consumed += 1;
    return this.buffer[this.offset++] as number;
  }

  async readUint16(): Promise<number> {
    return (await this.readBytes(2)).readUInt16LE(0);
  }

  async readInt32(): Promise<number> {
    return (await this.readBytes(4)).readInt32LE(0);
  }

  async readVarint(): Promise<number> {
    const first = await this.readByte();
    const extra = extraBytes(first);
    if (extra === 0) return first;
    if (extra >= 5) throw protocolError('overflow in a varint');
    const rest = await this.readBytes(extra);
    const bytes = Buffer.alloc(4);
    rest.copy(bytes, 0);
    if (extra < 4) bytes[extra] = first & ((1 << (8 - extra)) - 1);
    return bytes.readInt32LE(0);
  }

  async readVarlong(minBytes: number): Promise<number> {
    const head = await this.readBytes(minBytes);
    const first = head[0] as number;
    const extra = extraBytes(first);
    if (minBytes + extra > 9) throw protocolError('overflow in a varlong');
    const bytes = Buffer.alloc(9);
    head.copy(bytes, 0, 1);
    if (extra > 0) {
      (await this.readBytes(extra)).copy(bytes, minBytes - 1);
      bytes[minBytes + extra - 1] = first & ((1 << (8 - extra)) - 1);
    } else {
      bytes[minBytes - 1] = first;
    }
    return safeInteger(bytes.readBigInt64LE(0));
  }

  /** The fixed int, or -1 followed by a 64-bit value (protocols before 30). */
  async readLongint(): Promise<number> {
    const value = await this.readInt32();
    if (value !== -1) return value;
    return safeInteger((await this.readBytes(8)).readBigInt64LE(0));
  }
}

function safeInteger(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw protocolError('a 64-bit value is out of range');
  }
  return Number(value);
}

/** Bytes already in memory: decoding tests, recorded sessions, fuzzing. */
export class BufferSource extends ByteSource {
  constructor(data: Buffer) {
    super();
    this.buffer = data;
  }

  protected fill(): Promise<void> {
    return Promise.reject(streamError('the stream ended in the middle of a message'));
  }

  /** Whether every byte was read. */
  get done(): boolean {
    return this.available === 0;
  }
}

export function encodeInt32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value | 0, 0);
  return bytes;
}

export function encodeUint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value & 0xffff, 0);
  return bytes;
}

export function encodeVarint(value: number): Buffer {
  const raw = Buffer.alloc(5);
  raw.writeInt32LE(value | 0, 1);
  return packVariable(raw, 1, 4);
}

export function encodeVarlong(value: number, minBytes: number): Buffer {
  const raw = Buffer.alloc(9);
  raw.writeBigInt64LE(BigInt(value), 1);
  return packVariable(raw, minBytes, 8);
}

/** The shared tail of write_varint / write_varlong: raw[1..last] holds the little-endian value. */
function packVariable(raw: Buffer, minBytes: number, last: number): Buffer {
  let count = last;
  while (count > minBytes && raw[count] === 0) count--;
  const bit = 1 << (7 - count + minBytes);
  const top = raw[count] as number;
  if (top >= bit) {
    count++;
    raw[0] = ~(bit - 1) & 0xff;
  } else if (count > minBytes) {
    raw[0] = (top | ~(bit * 2 - 1)) & 0xff;
  } else {
    raw[0] = top;
  }
  return Buffer.from(raw.subarray(0, count));
}

export function encodeLongint(value: number): Buffer {
  if (value >= 0 && value <= 0x7fffffff) return encodeInt32(value);
  const bytes = Buffer.alloc(12);
  bytes.writeInt32LE(-1, 0);
  bytes.writeBigInt64LE(BigInt(value), 4);
  return bytes;
}
