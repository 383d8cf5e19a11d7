import type { PeerOutput } from './multiplex.js';
import type { NdxWriter } from './ndx.js';
import type { HeldFile, ReceiveSink } from './sink.js';
import {
  FULL_SUM_LENGTH,
  NO_BLOCKS,
  SHORT_SUM_LENGTH,
  type SumHead,
  encodeSumHead,
  sumHeadFor,
} from './sum-head.js';
import { encodeInt32, encodeUint16 } from './wire.js';

/** Item flags (rsync.h) the generator sends with each request from protocol 29 on. */
const ITEM_REPORT_SIZE = 1 << 2;
const ITEM_REPORT_TIME = 1 << 3;
const ITEM_IS_NEW = 1 << 13;
export const ITEM_TRANSFER = 1 << 15;

/** Read this many blocks of the held copy at a time while summing it. */
const BLOCKS_PER_READ = 64;

/** A regular file of the list that the session may ask for. */
export interface WantedFile {
  ndx: number;
  name: string;
  size: number;
  mtime: number;
}

/** What the generator asked the client for; the receiver applies the answer against it. */
export interface FileRequest {
  file: WantedFile;
  head: SumHead;
  held: HeldFile | null;
  /** Append mode: the first `coveredLength(head)` bytes come from the held copy unsent. */
  append: boolean;
}

export interface GeneratorSettings {
  protocol: number;
  digestLength: number;
  rollingSum: (block: Buffer) => number;
  strongSum: (block: Buffer) => Buffer;
  /** Compare contents even when size and time agree (-c, -I, or the client deletes on success). */
  alwaysTransfer: boolean;
  wholeFile: boolean;
  appendVerify: boolean;
}

/**
 * The generator side of a receiving server: for each wanted file it decides whether to ask for
 * it and sends the block sums of the copy already held, so a grown log moves only its new part.
 */
export class Generator {
  readonly requests = new Map<number, FileRequest>();
  private stopped = false;

  constructor(
    private readonly output: PeerOutput,
    private readonly ndx: NdxWriter,
    private readonly sink: ReceiveSink,
    private readonly settings: GeneratorSettings,
  ) {}

  /** The first pass: short strong sums, quick check by size and time. */
  async request(file: WantedFile): Promise<void> {
    const held = await this.heldCopy(file);
    if (held === undefined) return;
    if (held !== null && this.upToDate(held, file)) {
      await held.close();
      return;
    }
    const append = this.settings.appendVerify && held !== null && held.size <= file.size;
    const basis = held !== null && (append || held.size > 0) ? held : null;
    if (held !== null && basis === null) await held.close();
    await this.send(file, basis, SHORT_SUM_LENGTH, append);
  }

  /** The redo pass after a failed check: full-length sums, never append. */
  async redo(file: WantedFile): Promise<void> {
    const held = await this.heldCopy(file);
    if (held === undefined) return;
    await this.send(file, held, FULL_SUM_LENGTH, false);
  }

  /**
   * Closes the held copies of files the client never sent (it may skip vanished ones) and
   * stops a pass still running: after a failed session nothing may open or read more copies.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    for (const request of this.requests.values()) await request.held?.close();
    this.requests.clear();
  }

  /** The copy to send sums of; undefined once abandoned (an abandoned copy is closed here). */
  private async heldCopy(file: WantedFile): Promise<HeldFile | null | undefined> {
    if (this.stopped) return undefined;
    const held = this.settings.wholeFile ? null : await this.sink.held(file.name);
    // Read again: abandon() may have run while the copy was being opened.
    if (!this.isStopped()) return held;
    await held?.close();
    return undefined;
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private upToDate(held: HeldFile, file: WantedFile): boolean {
    return !this.settings.alwaysTransfer && held.size === file.size && held.mtime === file.mtime;
  }

  private async send(
    file: WantedFile,
    held: HeldFile | null,
    sumLength: number,
    append: boolean,
  ): Promise<void> {
    const { protocol, digestLength } = this.settings;
    const head =
      held === null ? NO_BLOCKS : sumHeadFor(held.size, protocol, sumLength, digestLength);

    this.output.write(this.ndx.encode(file.ndx));
    if (protocol >= 29) {
      const changes = held === null ? ITEM_IS_NEW : ITEM_REPORT_SIZE | ITEM_REPORT_TIME;
      this.output.write(encodeUint16(ITEM_TRANSFER | changes));
    }
    this.output.write(encodeSumHead(head, protocol));
    try {
      if (held !== null && !append) await this.sendBlockSums(held, head);
    } catch (error) {
      await held?.close();
      throw error;
    }
    if (this.stopped) {
      await held?.close();
      return;
    }
    // The receiver may take the request (and close the copy) only once the copy is read: an
    // honest client answers after the last sums, which only the flush below sends; an early
    // answer is refused as unasked instead of racing the reads.
    this.requests.set(file.ndx, { file, head, held, append });
    await this.output.flush();
  }

  /** Writes the block sums, flushing between pieces; the caller flushes the last piece. */
  private async sendBlockSums(held: HeldFile, head: SumHead): Promise<void> {
    const step = head.blockLength * BLOCKS_PER_READ;
    for (let position = 0; position < held.size && !this.stopped; position += step) {
      if (position > 0) await this.output.flush();
      const chunk = await held.read(position, Math.min(step, held.size - position));
      for (let start = 0; start < chunk.length; start += head.blockLength) {
        const block = chunk.subarray(start, start + head.blockLength);
        this.output.write(encodeInt32(this.settings.rollingSum(block)));
        this.output.write(this.settings.strongSum(block).subarray(0, head.strongLength));
      }
    }
  }
}
