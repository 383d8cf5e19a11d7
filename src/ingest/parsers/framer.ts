/**
 * The framing state machines, newline-delimited and octet-counted, behind one stateful framer
 * that is fed a stream chunk by chunk. They share the stream offsets and the frame buffer, so
 * they stay one class.
 */
import { detectFraming } from './detect-framing.js';
import { FrameBuffer, concat } from './frame-buffer.js';
import {
  CR,
  DIGIT_0,
  LF,
  MAX_OCTET_COUNT_DIGITS,
  SPACE,
  UTF8_BOM,
  decode,
  isBlank,
  isBlankContent,
  isDigit,
  startsWithBom,
} from './frame-bytes.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  type Frame,
  type Framing,
  type FramerEnd,
  type FramerOptions,
  type Pending,
} from './framing-types.js';

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
