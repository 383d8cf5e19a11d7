import { createRequire } from 'node:module';
import { protocolError, streamError } from './errors.js';
import type { ByteSource } from './wire.js';

/**
 * The sender's token stream for one file (rsync's token.c): literal data and references to
 * blocks of the receiver's basis file, ending with an end token. Without compression these are
 * plain ints; with -z they are flag bytes around deflated data ("zlib" or, negotiated by rsync
 * 3.2+, "zlibx").
 */

export type Token =
  { kind: 'literal'; data: Buffer } | { kind: 'block'; index: number } | { kind: 'end' };

export type TokenCompression = 'none' | 'zlib' | 'zlibx';

export interface TokenReader {
  /** The next token; after 'end' it keeps answering 'end' without reading. */
  next(): Promise<Token>;
  /**
   * Hands over the basis bytes of the block the last token named. The 'zlib' variant needs
   * them (the sender's compressor saw them too, and later data may refer back to them); the
   * others ignore them.
   */
  seeBlock(data: Uint8Array): void;
}

/** The most literal bytes one token carries, and the most rsync's sender puts in one run. */
export const CHUNK_SIZE = 32 * 1024;

/** Protocol 31 stopped feeding the first 64 KiB of a long block to the compressor repeatedly. */
const WHOLE_BLOCK_PROTOCOL = 31;

const END: Token = { kind: 'end' };

/**
 * A reader for one file's tokens. rsync starts each file afresh, in both directions: the
 * compressor and decompressor are reset and block numbers count from 0 again, so nothing is
 * carried from one file to the next. `maxBlockIndex` is the sum header's count less one (-1 when
 * the receiver sent no blocks); `protocol` decides how 'zlib' replays long blocks.
 */
export function tokenReader(
  source: ByteSource,
  compression: TokenCompression,
  maxBlockIndex: number,
  protocol: number,
): TokenReader {
  if (compression === 'none') return new PlainTokens(source, maxBlockIndex);
  return new DeflatedTokens(source, maxBlockIndex, compression === 'zlib', protocol);
}

function blockToken(index: number, maxBlockIndex: number): Token {
  if (index < 0 || index > maxBlockIndex) {
    throw protocolError(`invalid block index ${index} (${maxBlockIndex + 1} blocks)`);
  }
  return { kind: 'block', index };
}

/**
 * Uncompressed tokens: an int that is a literal length when positive, the end when 0, and block
 * -(n+1) when negative. rsync's sender never writes more than CHUNK_SIZE bytes in one run, but
 * rsync's receiver accepts longer runs (other implementations send them) and so does this one,
 * handing them out CHUNK_SIZE bytes at a time so that memory stays bounded.
 */
class PlainTokens implements TokenReader {
  private literalLeft = 0;
  private ended = false;

  constructor(
    private readonly source: ByteSource,
    private readonly maxBlockIndex: number,
  ) {}

  async next(): Promise<Token> {
    if (this.ended) return END;
    if (this.literalLeft === 0) {
      const value = await this.source.readInt32();
      if (value === 0) {
        this.ended = true;
        return END;
      }
      if (value < 0) return blockToken(-value - 1, this.maxBlockIndex);
      this.literalLeft = value;
    }
    const size = Math.min(CHUNK_SIZE, this.literalLeft);
    this.literalLeft -= size;
    return { kind: 'literal', data: Buffer.from(await this.source.readBytes(size)) };
  }

  seeBlock(): void {
    // Nothing to replay: without compression a block leaves no state behind.
  }
}

/* Flag bytes of the compressed stream (token.c). */
const END_FLAG = 0;
const TOKEN_LONG = 0x20;
const TOKENRUN_LONG = 0x21;
const DEFLATED_DATA = 0x40;
const TOKEN_REL = 0x80;
const TOKENRUN_REL = 0xc0;
const FLAG_KIND = 0xc0;
const REL_OFFSET = 0x3f;

/**
 * Compressed tokens. Literal data comes as DEFLATED_DATA records (flag byte with the high 6 bits
 * of a 14-bit length, then the low byte, then that much raw deflate); the sender ends each run of
 * data with a sync flush but leaves out its final 00 00 ff ff, which the receiver puts back.
 * Block tokens are relative to the last block of the previous token or run (TOKEN_REL,
 * TOKENRUN_REL: 6-bit offset) or absolute (TOKEN_LONG, TOKENRUN_LONG: int32); a run adds a
 * 16-bit count of further consecutive blocks.
 */
class DeflatedTokens implements TokenReader {
  private readonly inflater = new RawInflater();
  /** The last block index handed out, or 0 at the start: what relative tokens count from. */
  private lastBlock = 0;
  private runLeft = 0;
  /** Data arrived since the last sync marker, so one is owed before the next token. */
  private syncOwed = false;
  /** A flag byte read while pending output still had to be handed out first. */
  private heldFlag: number | null = null;
  private lastWasBlock = false;
  private ended = false;

  constructor(
    private readonly source: ByteSource,
    private readonly maxBlockIndex: number,
    private readonly replaysBlocks: boolean,
    private readonly protocol: number,
  ) {}

  async next(): Promise<Token> {
    this.lastWasBlock = false;
    if (this.ended) return END;
    if (this.runLeft > 0) {
      this.runLeft--;
      return this.block(this.lastBlock + 1);
    }
    for (;;) {
      if (this.inflater.hasInput) {
        const data = this.inflater.inflate();
        if (data !== null) return { kind: 'literal', data };
        continue;
      }
      const flag = this.heldFlag ?? (await this.source.readByte());
      this.heldFlag = null;
      if ((flag & FLAG_KIND) === DEFLATED_DATA) {
        await this.readData(flag);
        continue;
      }
      if (this.syncOwed) {
        const rest = this.inflater.drain();
        if (rest !== null) {
          this.heldFlag = flag;
          return { kind: 'literal', data: rest };
        }
        this.inflater.endRun();
        this.syncOwed = false;
      }
      if (flag === END_FLAG) {
        this.ended = true;
        return END;
      }
      return this.readBlockFlag(flag);
    }
  }

  seeBlock(data: Uint8Array): void {
    if (!this.lastWasBlock) throw new Error('seeBlock must follow a block token');
    this.lastWasBlock = false;
    if (this.replaysBlocks) this.inflater.replay(data, this.protocol >= WHOLE_BLOCK_PROTOCOL);
  }

  private async readData(flag: number): Promise<void> {
    const length = ((flag & REL_OFFSET) << 8) | (await this.source.readByte());
    if (length === 0) throw protocolError('an empty compressed data record');
    this.inflater.feed(Buffer.from(await this.source.readBytes(length)));
    this.syncOwed = true;
  }

  private async readBlockFlag(flag: number): Promise<Token> {
    let first: number;
    let isRun: boolean;
    if ((flag & TOKEN_REL) !== 0) {
      first = this.lastBlock + (flag & REL_OFFSET);
      isRun = (flag & FLAG_KIND) === TOKENRUN_REL;
    } else if (flag === TOKEN_LONG || flag === TOKENRUN_LONG) {
      first = await this.source.readInt32();
      isRun = flag === TOKENRUN_LONG;
    } else {
      throw protocolError(`invalid flag byte 0x${flag.toString(16)} in compressed data`);
    }
    const count = isRun ? await this.source.readUint16() : 0;
    if (isRun && count === 0) throw protocolError('an empty block run in compressed data');
    if (isRun && first + count > this.maxBlockIndex) {
      throw protocolError(`a block run ends past the last block (${this.maxBlockIndex})`);
    }
    const token = this.block(first);
    this.runLeft = count;
    return token;
  }

  private block(index: number): Token {
    const token = blockToken(index, this.maxBlockIndex);
    this.lastBlock = index;
    this.lastWasBlock = true;
    return token;
  }
}

/** The parts of pako's zlib port used here; its public wrapper hides the stream and its state. */
interface ZStream {
  input: Uint8Array | null;
  next_in: number;
  avail_in: number;
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  msg: string;
  state: { mode: number; bits: number } | null;
}
interface ZlibInflate {
  inflateInit2(stream: ZStream, windowBits: number): number;
  inflate(stream: ZStream, flush: number): number;
}
const requireCommonJs = createRequire(import.meta.url);
const zlib = requireCommonJs('pako/lib/zlib/inflate.js') as ZlibInflate;
const ZStreamClass = requireCommonJs('pako/lib/zlib/zstream.js') as new () => ZStream;

/* zlib's return and flush codes. */
const Z_OK = 0;
const Z_BUF_ERROR = -5;
const Z_NO_FLUSH = 0;
const Z_SYNC_FLUSH = 2;
/** pako's inflate mode "waiting for a stored block's lengths" (zlib's STORED). */
const MODE_STORED = 16193;
/** Raw deflate, 32 KiB window, as rsync's inflateInit2(-15). */
const RAW_WINDOW_BITS = -15;
/** The four bytes a sync flush ends with, which the sender leaves out. */
const SYNC_MARKER = Uint8Array.of(0, 0, 0xff, 0xff);
/** The longest stored block, hence the largest piece of a block replayed at once. */
const MAX_STORED = 0xffff;

/**
 * A raw inflater driven the way token.c drives zlib: a bounded output buffer per call, so one
 * token never holds more than CHUNK_SIZE bytes however well the data compresses.
 */
class RawInflater {
  private readonly stream = new ZStreamClass();
  private readonly output = new Uint8Array(CHUNK_SIZE);

  constructor() {
    if (zlib.inflateInit2(this.stream, RAW_WINDOW_BITS) !== Z_OK) {
      throw streamError('inflate init failed');
    }
    this.stream.input = new Uint8Array(0);
  }

  get hasInput(): boolean {
    return this.stream.avail_in > 0;
  }

  feed(data: Uint8Array): void {
    this.stream.input = data;
    this.stream.next_in = 0;
    this.stream.avail_in = data.length;
  }

  /** Inflates some of the fed data; null when that produced no output yet. */
  inflate(): Buffer | null {
    const before = this.stream.avail_in;
    const { code, produced } = this.run(Z_NO_FLUSH);
    if (code !== Z_OK) throw this.failure('inflate', code);
    if (produced === 0 && this.stream.avail_in === before) {
      throw streamError('inflate made no progress');
    }
    return produced === 0 ? null : Buffer.from(this.output.subarray(0, produced));
  }

  /** Output still held back after all input went in (the last call filled its buffer). */
  drain(): Buffer | null {
    this.stream.avail_in = 0;
    const { code, produced } = this.run(Z_SYNC_FLUSH);
    if (code !== Z_OK && code !== Z_BUF_ERROR) throw this.failure('inflate flush', code);
    return produced === 0 ? null : Buffer.from(this.output.subarray(0, produced));
  }

  /**
   * Closes a run of data with the sync marker the sender left out. The inflater must be just
   * past a sync flush's stored-block header (zlib's inflateSyncPoint), or the two sides
   * disagree about where the data ended.
   */
  endRun(): void {
    const state = this.stream.state;
    if (state?.mode !== MODE_STORED || state.bits !== 0) {
      throw streamError('the decompressor lost sync');
    }
    this.feed(SYNC_MARKER);
    this.consumeAll('inflate sync marker');
  }

  /**
   * Puts a matched block into the inflater's history as stored blocks, as the sender put it
   * into its compressor's. Before protocol 31 both sides fed the block's first 64 KiB again
   * for every further piece instead of moving on; that has to be copied to stay in step.
   */
  replay(data: Uint8Array, advances: boolean): void {
    let offset = 0;
    for (let left = data.length; left > 0;) {
      const size = Math.min(left, MAX_STORED);
      const piece = Buffer.alloc(5 + size);
      piece.writeUInt16LE(size, 1);
      piece.writeUInt16LE(size ^ 0xffff, 3);
      piece.set(data.subarray(offset, offset + size), 5);
      this.feed(piece);
      this.consumeAll('inflate (token)');
      left -= size;
      if (advances) offset += size;
    }
  }

  /** Inflates all fed input, throwing the output away: it only has to reach the history. */
  private consumeAll(what: string): void {
    for (;;) {
      const { code, produced } = this.run(Z_SYNC_FLUSH);
      if (code !== Z_OK && code !== Z_BUF_ERROR) throw this.failure(what, code);
      if (this.stream.avail_in === 0 && produced < this.output.length) return;
      if (code === Z_BUF_ERROR) throw streamError(`${what} made no progress`);
    }
  }

  private run(flush: number): { code: number; produced: number } {
    this.stream.output = this.output;
    this.stream.next_out = 0;
    this.stream.avail_out = this.output.length;
    const code = zlib.inflate(this.stream, flush);
    return { code, produced: this.output.length - this.stream.avail_out };
  }

  private failure(what: string, code: number): Error {
    const detail = this.stream.msg === '' ? '' : `: ${this.stream.msg}`;
    return streamError(`${what} returned ${code}${detail}`);
  }
}
