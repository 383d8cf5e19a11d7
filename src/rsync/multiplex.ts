import type { Readable, Writable } from 'node:stream';

import { protocolError, streamError } from './errors.js';
import { ByteSource, encodeInt32 } from './wire.js';

/** Message codes of rsync's multiplexed stream (rsync.h, enum msgcode). */
export const MessageCode = {
  data: 0,
  errorXfer: 1,
  info: 2,
  error: 3,
  warning: 4,
  ioError: 22,
  ioTimeout: 33,
  noop: 42,
  errorExit: 86,
  success: 100,
  deleted: 101,
  noSend: 102,
} as const;

const MPLEX_BASE = 7;
/** Largest message body rsync itself sends; anything bigger is hostile. */
const MAX_MESSAGE = 0x10000;
/** Data frames this size keep latency low and match rsync's own buffer. */
const FRAME_DATA = 32 * 1024;
/** How long a client may send nothing before the session ends (the doors may set less). */
const DEFAULT_IDLE_MS = 10 * 60_000;
/** Stop reading from the socket while this much is waiting to be decoded. */
const HIGH_WATER = 4 * 1024 * 1024;

export interface PeerMessage {
  code: number;
  payload: Buffer;
}

/**
 * The bytes the client sends. Raw at first; once multiplexed, data frames feed the decoders
 * and every other message goes to `onMessage` as soon as it is complete.
 */
export class PeerInput extends ByteSource {
  private raw: Buffer[] = [];
  private rawLength = 0;
  private multiplexed = false;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private frameLeft = 0;
  private pendingMessage: { code: number; length: number } | null = null;

  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly onMessage: (message: PeerMessage) => void,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('end', () => this.finish(null));
    stream.on('close', () => this.finish(null));
    stream.on('error', (error: Error) => this.finish(error));
    this.armIdleTimer();
  }

  /**
   * A client that sends nothing for this long is cut off, so a stalled peer cannot hold a
   * session, its open files and a file lock for ever.
   */
  private armIdleTimer(): void {
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.finish(streamError(`no data from the client for ${this.idleMs / 1000} s`));
      this.stream.destroy();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** From here on the client frames its data (protocol 30 and later). */
  startMultiplex(): void {
    this.multiplexed = true;
  }

  /** Bytes that arrived before the protocol began, given back by the daemon greeting. */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.raw.unshift(bytes);
    this.rawLength += bytes.length;
  }

  protected async fill(count: number): Promise<void> {
    for (;;) {
      this.decode(count);
      if (this.available >= count) return;
      if (this.failure !== null) throw this.failure;
      if (this.ended) throw streamError('the client closed the connection in mid-transfer');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Waits for and handles out-of-band messages until the client closes. */
  async drainMessages(): Promise<void> {
    for (;;) {
      // Decode before checking the end: messages that arrived just before it still count.
      this.decode(Number.MAX_SAFE_INTEGER);
      if (this.ended || this.failure !== null) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private receive(chunk: Buffer): void {
    this.armIdleTimer();
    this.raw.push(chunk);
    this.rawLength += chunk.length;
    if (this.rawLength > HIGH_WATER) this.stream.pause();
    this.notify();
  }

  private finish(error: Error | null): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.ended = true;
    if (error !== null && this.failure === null) this.failure = streamError(error.message);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Moves decoded data into the read buffer until `count` bytes are there or input runs out. */
  private decode(count: number): void {
    const parts: Buffer[] = [];
    let gained = 0;
    while (this.available + gained < count && this.rawLength > 0) {
      const data = this.multiplexed ? this.nextFrameData() : this.takeRaw(this.rawLength);
      if (data === null) break;
      if (data.length > 0) {
        parts.push(data);
        gained += data.length;
      }
    }
    if (gained > 0) {
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), ...parts]);
      this.offset = 0;
    }
    if (this.rawLength <= HIGH_WATER / 2 && this.stream.isPaused()) this.stream.resume();
  }

  /** The next piece of data from the frames, handling messages on the way; null if incomplete. */
  private nextFrameData(): Buffer | null {
    for (;;) {
      if (this.frameLeft > 0) {
        const data = this.takeRaw(Math.min(this.frameLeft, this.rawLength));
        this.frameLeft -= data.length;
        return data;
      }
      if (this.pendingMessage !== null) {
        if (!this.readPendingMessage()) return null;
        continue;
      }
      if (this.rawLength < 4) return null;
      this.readHeader(this.takeRaw(4).readUInt32LE(0));
    }
  }

  private readHeader(header: number): void {
    const code = (header >>> 24) - MPLEX_BASE;
    const length = header & 0xffffff;
    if (code < 0) throw protocolError('the client sent an unframed byte in a framed stream');
    if (code === MessageCode.data) {
      this.frameLeft = length;
      return;
    }
    if (length > MAX_MESSAGE) throw protocolError(`the client sent an over-long message (${code})`);
    this.pendingMessage = { code, length };
  }

  private readPendingMessage(): boolean {
    const pending = this.pendingMessage;
    if (pending === null || this.rawLength < pending.length) return false;
    this.pendingMessage = null;
    this.onMessage({ code: pending.code, payload: this.takeRaw(pending.length) });
    return true;
  }

  private takeRaw(count: number): Buffer {
    const first = this.raw[0];
    if (first !== undefined && first.length >= count) {
      this.raw[0] = first.subarray(count);
      if (this.raw[0].length === 0) this.raw.shift();
      this.rawLength -= count;
      return first.subarray(0, count);
    }
    const joined = Buffer.concat(this.raw);
    this.raw = joined.length > count ? [joined.subarray(count)] : [];
    this.rawLength -= count;
    return joined.subarray(0, count);
  }
}

/**
 * The bytes the server sends: raw during the handshake, then framed, with data batched into
 * frames and messages written between them. Writes are only queued; `flush` sends them and
 * waits while the client is slow to read.
 */
export class PeerOutput {
  private queued: Buffer[] = [];
  private queuedLength = 0;
  private multiplexed = false;
  /** Bytes sent so far, for the statistics. */
  written = 0;

  constructor(private readonly stream: Writable) {}

  startMultiplex(): void {
    this.sendData();
    this.multiplexed = true;
  }

  get isMultiplexed(): boolean {
    return this.multiplexed;
  }

  write(bytes: Buffer): void {
    this.queued.push(bytes);
    this.queuedLength += bytes.length;
    if (this.queuedLength >= FRAME_DATA) this.sendData();
  }

  /** A message outside the data: text for the client's user, a success, an exit code. */
  message(code: number, payload: Buffer): void {
    this.sendData();
    if (!this.multiplexed) return;
    this.send(frameHeader(code, payload.length), payload);
  }

  /** A message whose body is one int, such as the index of a file stored for good. */
  messageInt(code: number, value: number): void {
    this.message(code, encodeInt32(value));
  }

  /** Text the client prints, one line per message as rsync does. */
  text(code: number, line: string): void {
    const body = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    this.message(code, body.subarray(0, MAX_MESSAGE));
  }

  /**
   * Sends what is queued and waits while the client is slow to read. A connection that closes
   * instead of draining fails the wait: otherwise a client that stops reading and hangs up
   * would leave the session waiting forever.
   */
  async flush(): Promise<void> {
    this.sendData();
    if (!this.stream.writableNeedDrain) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error: Error | null): void => {
        this.stream.off('drain', drained);
        this.stream.off('error', failed);
        this.stream.off('close', closed);
        if (error === null) resolve();
        else reject(streamError(error.message));
      };
      const drained = (): void => settle(null);
      const failed = (error: Error): void => settle(error);
      const closed = (): void => settle(new Error('the connection is closed'));
      this.stream.once('drain', drained);
      this.stream.once('error', failed);
      this.stream.once('close', closed);
    });
  }

  private sendData(): void {
    if (this.queuedLength === 0) return;
    const data = this.queued.length === 1 ? (this.queued[0] as Buffer) : Buffer.concat(this.queued);
    this.queued = [];
    this.queuedLength = 0;
    if (!this.multiplexed) {
      this.send(data);
      return;
    }
    for (let start = 0; start < data.length; start += FRAME_DATA) {
      const piece = data.subarray(start, start + FRAME_DATA);
      this.send(frameHeader(MessageCode.data, piece.length), piece);
    }
  }

  private send(...parts: Buffer[]): void {
    for (const part of parts) {
      this.written += part.length;
      if (!this.stream.destroyed) this.stream.write(part);
    }
  }
}

function frameHeader(code: number, length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(((MPLEX_BASE + code) << 24) + length, 0);
  return header;
}
