import pako from 'pako';
import { encodeInt32, encodeUint16 } from '../../src/rsync/wire.js';

/**
 * A test-only sender of token streams, written after rsync's token.c (simple_send_token and
 * send_deflated_token), so that the reader can be checked against streams shaped like the real
 * client's: literal data split as rsync splits it, block runs, relative and absolute block
 * numbers, sync flushes with the marker left out, and the 'zlib' habit of putting matched blocks
 * into the compressor's history.
 */

export type TokenOp =
  | { kind: 'literal'; data: Buffer }
  /** `data` is the block's basis bytes, which the 'zlib' sender adds to its history. */
  | { kind: 'block'; index: number; data: Buffer };

const CHUNK_SIZE = 32 * 1024;
const MAX_DATA_COUNT = 16383;
const MAX_STORED = 0xffff;
const MAX_RUN = 65536;

/**
 * What rsync's match.c hands to send_token for these operations: literal data followed by
 * more literal data goes out alone (token -2, no flush), the rest with the token after it, and
 * -1 ends the file.
 */
interface SendCall {
  token: number;
  literal: Buffer;
  block: Buffer;
}

function sendCalls(ops: TokenOp[]): SendCall[] {
  const calls: SendCall[] = [];
  const empty = Buffer.alloc(0);
  let pending: Buffer = empty;
  ops.forEach((op, i) => {
    if (op.kind === 'literal') {
      if (ops[i + 1]?.kind === 'literal') {
        calls.push({ token: -2, literal: Buffer.concat([pending, op.data]), block: empty });
        pending = empty;
      } else {
        pending = Buffer.concat([pending, op.data]);
      }
      return;
    }
    calls.push({ token: op.index, literal: pending, block: op.data });
    pending = empty;
  });
  calls.push({ token: -1, literal: pending, block: empty });
  return calls;
}

/** simple_send_token: literal runs of at most CHUNK_SIZE, then -(token+1); 0 ends. */
export function encodePlainTokens(ops: TokenOp[]): Buffer {
  const parts: Buffer[] = [];
  for (const call of sendCalls(ops)) {
    for (let at = 0; at < call.literal.length; at += CHUNK_SIZE) {
      const piece = call.literal.subarray(at, at + CHUNK_SIZE);
      parts.push(encodeInt32(piece.length), piece);
    }
    if (call.token !== -2) parts.push(encodeInt32(-(call.token + 1)));
  }
  return Buffer.concat(parts);
}

export interface DeflateOptions {
  variant: 'zlib' | 'zlibx';
  protocol: number;
  /** zlib level, 1 to 9; rsync's default is 6. */
  level?: number;
  /** Largest DEFLATED_DATA record to write, at most 16383. */
  recordSize?: number;
}

export function encodeDeflatedTokens(ops: TokenOp[], options: DeflateOptions): Buffer {
  const sender = new DeflatedSender(options);
  for (const call of sendCalls(ops)) sender.send(call);
  return Buffer.concat(sender.parts);
}

type Level = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

class DeflatedSender {
  readonly parts: Buffer[] = [];
  private readonly deflater: pako.Deflate;
  private readonly recordSize: number;
  private output: Buffer[] = [];
  private lastToken = -1;
  private runStart = 0;
  private lastRunEnd = 0;
  private flushPending = false;

  constructor(private readonly options: DeflateOptions) {
    this.deflater = new pako.Deflate({
      raw: true,
      level: (options.level ?? 6) as Level,
      windowBits: 15,
      memLevel: 8,
    });
    this.deflater.onData = (chunk) => this.output.push(Buffer.from(chunk as Uint8Array));
    this.recordSize = Math.min(options.recordSize ?? MAX_DATA_COUNT, MAX_DATA_COUNT);
  }

  send({ token, literal, block }: SendCall): void {
    this.trackRuns(token, literal.length);
    if (literal.length > 0 || this.flushPending) {
      this.deflate(literal, token === -2);
      this.flushPending = token === -2;
    }
    if (token === -1) this.parts.push(Buffer.of(0));
    else if (token !== -2 && this.options.variant === 'zlib') this.addToHistory(block);
  }

  /** Writes the previous run of blocks once the new token cannot extend it. */
  private trackRuns(token: number, literalLength: number): void {
    if (this.lastToken === -1) {
      this.runStart = token;
    } else if (this.lastToken === -2) {
      this.runStart = token;
    } else if (
      literalLength > 0 ||
      token !== this.lastToken + 1 ||
      token >= this.runStart + MAX_RUN
    ) {
      this.writeRun();
      this.lastRunEnd = this.lastToken;
      this.runStart = token;
    }
    this.lastToken = token;
  }

  private writeRun(): void {
    const relative = this.runStart - this.lastRunEnd;
    const extra = this.lastToken - this.runStart;
    if (relative >= 0 && relative <= 63) {
      this.parts.push(Buffer.of((extra === 0 ? 0x80 : 0xc0) + relative));
    } else {
      this.parts.push(Buffer.of(extra === 0 ? 0x20 : 0x21), encodeInt32(this.runStart));
    }
    if (extra !== 0) this.parts.push(encodeUint16(extra));
  }

  private deflate(literal: Buffer, noFlush: boolean): void {
    const mode = noFlush ? pako.constants.Z_NO_FLUSH : pako.constants.Z_SYNC_FLUSH;
    // rsync feeds its compressor CHUNK_SIZE bytes at a time and flushes after the last.
    const pieces = Math.max(1, Math.ceil(literal.length / CHUNK_SIZE));
    for (let i = 0; i < pieces; i++) {
      const piece = literal.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
      this.deflater.push(piece, i === pieces - 1 ? mode : pako.constants.Z_NO_FLUSH);
    }
    let bytes = Buffer.concat(this.output);
    this.output = [];
    if (!noFlush) {
      const marker = bytes.subarray(bytes.length - 4).toString('hex');
      if (marker !== '0000ffff') throw new Error(`sync flush ended in ${marker}`);
      bytes = bytes.subarray(0, bytes.length - 4);
    }
    for (let at = 0; at < bytes.length; at += this.recordSize) {
      const record = bytes.subarray(at, at + this.recordSize);
      this.parts.push(Buffer.of(0x40 | (record.length >> 8), record.length & 0xff), record);
    }
  }

  /**
   * The block goes into the compressor's window and the output is dropped, as rsync does when
   * its zlib lacks Z_INSERT_ONLY. Before protocol 31 every piece after the first repeated the
   * block's first 64 KiB.
   */
  private addToHistory(block: Buffer): void {
    const advances = this.options.protocol >= 31;
    let offset = 0;
    for (let left = block.length; left > 0;) {
      const size = Math.min(left, MAX_STORED);
      this.deflater.push(block.subarray(offset, offset + size), pako.constants.Z_SYNC_FLUSH);
      left -= size;
      if (advances) offset += size;
    }
    this.output = [];
  }
}
