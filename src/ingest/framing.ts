/**
 * Cuts a received log stream into frames: newline-delimited (LF or CRLF) or octet-counted
 * (RFC 6587 `MSGLEN SP SYSLOG-MSG`), told apart by the first bytes of the stream. Memory stays
 * bounded by the maximum frame size whatever the input: over-long frames keep their first part
 * and are flagged, and the rest of them is skipped rather than glued to the next frame.
 */
import { isUtf8 } from 'node:buffer';

export type Framing = 'newline' | 'octet-counted';

/** Big enough for long DDI CEF lines; the receiver-side minimum in RFC 5424 is 2048. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

export interface FramerOptions {
  maxFrameBytes?: number;
  /** Forces a framing instead of reading it from the first bytes. */
  framing?: Framing;
  /**
   * Where in the file the first chunk starts, when reading resumes after what an earlier pass
   * consumed; offsets in frames stay file offsets. Pass that pass's framing along with it.
   */
  startOffset?: number;
}

export interface Frame {
  /**
   * Frame content as kept: no length prefix, no LF or CRLF, at most maxFrameBytes and never
   * ending inside a UTF-8 character. It may share memory with the chunk it came from.
   */
  bytes: Uint8Array;
  /** The bytes as UTF-8, with U+FFFD where they are not valid (see validUtf8). */
  text: string;
  validUtf8: boolean;
  /** The frame was longer than maxFrameBytes and only its first part is kept. */
  truncated: boolean;
  /** Content length as received, before any cut. */
  receivedBytes: number;
  /** Stream offset of the frame's first byte, length prefix included. */
  start: number;
  /** Stream offset just past the frame, its line end included. */
  end: number;
  /** Why these bytes could not be framed as the stream declared; null for a good frame. */
  framingError: string | null;
}

export type PendingReason = 'line-without-end' | 'incomplete-octet-frame';

/** Bytes after the last complete frame, held back until more arrives or the file is final. */
export interface Pending {
  start: number;
  receivedBytes: number;
  reason: PendingReason;
}

export interface FramerEnd {
  /** Frames completed by the end of input (only when the file was declared complete). */
  frames: Frame[];
  /** What is still open when the file may grow; null when nothing is. */
  pending: Pending | null;
  /** Offset just past the last frame or skipped blank line: how much of the file is read. */
  consumed: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const NUL = 0x00;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LESS_THAN = 0x3c;
const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Nine digits count up to ~1 GB, more than any sender writes; longer is desynchronised. */
const MAX_OCTET_COUNT_DIGITS = 9;

const isDigit = (byte: number): boolean => byte >= DIGIT_0 && byte <= DIGIT_9;
const isBlank = (byte: number): boolean =>
  byte === SPACE || byte === TAB || byte === CR || byte === NUL;

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]?.length === length) return parts[0];
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** Length of the longest prefix that does not end inside a multi-byte UTF-8 sequence. */
export function utf8SafeLength(bytes: Uint8Array, length: number): number {
  let lead = length - 1;
  while (lead >= 0 && length - lead < 4 && ((bytes[lead] ?? 0) & 0xc0) === 0x80) lead -= 1;
  const first = bytes[lead] ?? 0;
  if (lead < 0 || first < 0xc0) return length;
  const sequenceLength = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : 2;
  return lead + sequenceLength > length ? lead : length;
}

function decode(bytes: Uint8Array): { text: string; validUtf8: boolean } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return { text, validUtf8: isUtf8(bytes) };
}

/** Collects one frame's content up to a limit, counting (not keeping) what goes past it. */
class FrameBuffer {
  #parts: Uint8Array[] = [];
  #kept = 0;
  received = 0;
  lastByte = -1;

  constructor(private readonly limit: number) {}

  add(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.received += piece.length;
    this.lastByte = piece[piece.length - 1] ?? -1;
    const room = this.limit - this.#kept;
    if (room <= 0) return;
    const kept = piece.length <= room ? piece : piece.subarray(0, room);
    this.#parts.push(kept);
    this.#kept += kept.length;
  }

  /** Content minus `dropTail` trailing bytes (a CR before LF), cut at the limit. */
  take(dropTail: number): { bytes: Uint8Array; receivedBytes: number; truncated: boolean } {
    const receivedBytes = this.received - dropTail;
    let bytes = concat(this.#parts, this.#kept);
    const truncated = receivedBytes > this.limit;
    if (truncated) bytes = bytes.subarray(0, utf8SafeLength(bytes, bytes.length));
    else bytes = bytes.subarray(0, receivedBytes);
    this.#parts = [];
    this.#kept = 0;
    this.received = 0;
    this.lastByte = -1;
    return { bytes, receivedBytes, truncated };
  }
}

function isBlankContent(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === SPACE || byte === TAB);
}

function startsWithBom(bytes: Uint8Array): boolean {
  return UTF8_BOM.every((byte, index) => bytes[index] === byte);
}

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

type OctetState = 'between' | 'count' | 'body' | 'resync';

/**
 * Stateful framer for one stream (one received file). Feed it chunks with push(); at the end
 * call finish(), saying whether the file is known to be complete.
 */
export class Framer {
  readonly #limit: number;
  #framing: Framing | undefined;
  #head: Uint8Array = new Uint8Array(0);
  /** Absolute offset of the next byte to be read. */
  #offset = 0;
  #consumed = 0;
  #frameStart = 0;
  readonly #buffer: FrameBuffer;
  #octetState: OctetState = 'between';
  #countDigits = '';
  #remaining = 0;
  #framingError: string | null = null;

  constructor(options: FramerOptions = {}) {
    const limit = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#limit = Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_MAX_FRAME_BYTES;
    this.#framing = options.framing;
    this.#buffer = new FrameBuffer(this.#limit);
    const start = options.startOffset ?? 0;
    this.#offset = Number.isSafeInteger(start) && start > 0 ? start : 0;
    this.#consumed = this.#offset;
    this.#frameStart = this.#offset;
  }

  get framing(): Framing | undefined {
    return this.#framing;
  }

  /** Offset just past the last complete frame or skipped blank line. */
  get consumed(): number {
    return this.#consumed;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    const ready = this.#decideFraming(chunk);
    if (ready === null) return frames;
    if (this.#framing === 'octet-counted') this.#pushOctets(ready, frames);
    else this.#pushLines(ready, frames);
    return frames;
  }

  finish(options: { fileComplete: boolean }): FramerEnd {
    if (this.#framing === undefined && this.#head.length > 0) {
      this.#framing = 'newline';
      const head = this.#head;
      this.#head = new Uint8Array(0);
      const frames = this.push(head);
      const end = this.#finishOpen(options.fileComplete);
      return { ...end, frames: [...frames, ...end.frames] };
    }
    return this.#finishOpen(options.fileComplete);
  }

  #finishOpen(fileComplete: boolean): FramerEnd {
    const frames: Frame[] = [];
    const pending = this.#openFrame();
    if (pending === null) return { frames, pending: null, consumed: this.#consumed };
    if (!fileComplete) return { frames, pending, consumed: this.#consumed };
    const error = pending.reason === 'incomplete-octet-frame' ? this.#incompleteReason() : null;
    const dropTail = error === null && this.#buffer.lastByte === CR ? 1 : 0;
    this.#emit(frames, this.#offset, dropTail, error);
    this.#resetOctets();
    return { frames, pending: null, consumed: this.#consumed };
  }

  #openFrame(): Pending | null {
    const start = this.#frameStart;
    const receivedBytes = this.#buffer.received;
    if (this.#framing === 'octet-counted') {
      if (this.#octetState === 'between') return null;
      return { start, receivedBytes, reason: 'incomplete-octet-frame' };
    }
    if (receivedBytes === 0) return null;
    return { start, receivedBytes, reason: 'line-without-end' };
  }

  #incompleteReason(): string {
    if (this.#octetState === 'resync') return this.#framingError ?? 'octet framing lost';
    if (this.#octetState === 'count') return 'stream ended inside an octet count';
    return `stream ended ${this.#remaining} octets before the end of the frame`;
  }

  /** Holds the first bytes until the framing can be told; returns what is ready to frame. */
  #decideFraming(chunk: Uint8Array): Uint8Array | null {
    if (this.#framing !== undefined) return chunk;
    const head = concat([this.#head, chunk], this.#head.length + chunk.length);
    this.#framing = detectFraming(head);
    if (this.#framing === undefined) {
      this.#head = head;
      return null;
    }
    this.#head = new Uint8Array(0);
    return head;
  }

  #pushLines(chunk: Uint8Array, frames: Frame[]): void {
    let position = 0;
    while (position < chunk.length) {
      const lineEnd = chunk.indexOf(LF, position);
      const end = lineEnd === -1 ? chunk.length : lineEnd;
      this.#buffer.add(chunk.subarray(position, end));
      this.#offset += end - position;
      if (lineEnd === -1) return;
      this.#offset += 1;
      this.#endLine(frames);
      position = lineEnd + 1;
    }
  }

  #endLine(frames: Frame[]): void {
    const dropTail = this.#buffer.lastByte === CR ? 1 : 0;
    this.#emit(frames, this.#offset, dropTail, null);
  }

  #emit(frames: Frame[], end: number, dropTail: number, framingError: string | null): void {
    const start = this.#frameStart;
    const taken = this.#buffer.take(dropTail);
    let bytes = taken.bytes;
    if (start === 0 && this.#framing === 'newline' && startsWithBom(bytes)) {
      bytes = bytes.subarray(UTF8_BOM.length);
    }
    this.#frameStart = end;
    this.#consumed = end;
    if (framingError === null && isBlankContent(bytes)) return;
    const { text, validUtf8 } = decode(bytes);
    frames.push({
      bytes,
      text,
      validUtf8,
      truncated: taken.truncated,
      receivedBytes: taken.receivedBytes,
      start,
      end,
      framingError,
    });
  }

  #pushOctets(chunk: Uint8Array, frames: Frame[]): void {
    let position = 0;
    while (position < chunk.length) {
      position = this.#stepOctets(chunk, position, frames);
    }
  }

  /** Advances the octet-counting state machine; returns the next unread chunk position. */
  #stepOctets(chunk: Uint8Array, position: number, frames: Frame[]): number {
    switch (this.#octetState) {
      case 'between':
        return this.#readBetween(chunk, position);
      case 'count':
        return this.#readCount(chunk, position);
      case 'body':
        return this.#readBody(chunk, position, frames);
      case 'resync':
        return this.#readResync(chunk, position, frames);
    }
  }

  /** Some senders put a line end between frames; it belongs to no frame. */
  #readBetween(chunk: Uint8Array, position: number): number {
    const byte = chunk[position] ?? 0;
    if (byte === LF || isBlank(byte)) {
      this.#offset += 1;
      this.#frameStart = this.#offset;
      this.#consumed = this.#offset;
      return position + 1;
    }
    this.#octetState = 'count';
    this.#countDigits = '';
    return position;
  }

  #readCount(chunk: Uint8Array, position: number): number {
    const byte = chunk[position] ?? 0;
    if (byte === SPACE && this.#countDigits !== '') {
      this.#offset += 1;
      this.#remaining = Number(this.#countDigits);
      this.#octetState = 'body';
      this.#countDigits = '';
      this.#buffer.take(0);
      return position + 1;
    }
    const leadingZero = byte === DIGIT_0 && this.#countDigits === '';
    if (!isDigit(byte) || leadingZero || this.#countDigits.length >= MAX_OCTET_COUNT_DIGITS) {
      this.#startResync(this.#countError(byte));
      return position;
    }
    this.#buffer.add(chunk.subarray(position, position + 1));
    this.#countDigits += String.fromCharCode(byte);
    this.#offset += 1;
    return position + 1;
  }

  #countError(byte: number): string {
    if (this.#countDigits.length >= MAX_OCTET_COUNT_DIGITS && isDigit(byte)) {
      return `octet count longer than ${MAX_OCTET_COUNT_DIGITS} digits`;
    }
    const found =
      byte < 0x21 || byte > 0x7e ? `byte 0x${byte.toString(16)}` : `'${String.fromCharCode(byte)}'`;
    return this.#countDigits === ''
      ? `${found} where an octet count was expected`
      : `${found} where a space was expected after the octet count`;
  }

  /** Bytes already taken as count digits stay in the buffer, so the quarantined text is whole. */
  #startResync(reason: string): void {
    this.#octetState = 'resync';
    this.#framingError = reason;
  }

  #readBody(chunk: Uint8Array, position: number, frames: Frame[]): number {
    const take = Math.min(this.#remaining, chunk.length - position);
    this.#buffer.add(chunk.subarray(position, position + take));
    this.#offset += take;
    this.#remaining -= take;
    if (this.#remaining === 0) {
      this.#emit(frames, this.#offset, 0, null);
      this.#resetOctets();
    }
    return position + take;
  }

  /** After a framing error the stream is read up to the next LF, which ends the bad frame. */
  #readResync(chunk: Uint8Array, position: number, frames: Frame[]): number {
    const lineEnd = chunk.indexOf(LF, position);
    const end = lineEnd === -1 ? chunk.length : lineEnd;
    this.#buffer.add(chunk.subarray(position, end));
    this.#offset += end - position;
    if (lineEnd === -1) return end;
    this.#offset += 1;
    const dropTail = this.#buffer.lastByte === CR ? 1 : 0;
    this.#emit(frames, this.#offset, dropTail, this.#framingError);
    this.#resetOctets();
    return lineEnd + 1;
  }

  #resetOctets(): void {
    this.#octetState = 'between';
    this.#countDigits = '';
    this.#remaining = 0;
    this.#framingError = null;
  }
}

export interface SplitResult extends FramerEnd {
  framing: Framing;
}

/** Frames a whole buffer at once: the file as received so far. */
export function splitFrames(
  bytes: Uint8Array,
  options: FramerOptions & { fileComplete: boolean },
): SplitResult {
  const framer = new Framer(options);
  const frames = framer.push(bytes);
  const end = framer.finish({ fileComplete: options.fileComplete });
  return {
    ...end,
    frames: [...frames, ...end.frames],
    framing: framer.framing ?? 'newline',
  };
}
