import type { Duplex } from 'node:stream';

/**
 * Reads newline-terminated text lines from a stream, one at a time, refusing any line longer
 * than the limit. What arrives after a line stays unread for the next reader.
 */
export class LineReader {
  private buffered = Buffer.alloc(0);
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;
  private separator = 0x0a;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.deliver();
  };
  private readonly onEnd = (): void => this.finish();

  constructor(
    private readonly stream: Duplex,
    private readonly maxLine: number,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
  }

  /**
   * The next line without its terminator, or null if the stream ended or the line was too long.
   * The daemon protocol ends arguments with NUL from protocol 30 on, hence the separator.
   */
  next(separator = 0x0a): Promise<string | null> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.separator = separator;
      this.deliver();
    });
  }

  /** Stops reading and hands back what arrived after the last line, for the binary protocol. */
  detach(): Buffer {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  private deliver(): void {
    if (this.waiting === null) return;
    const end = this.buffered.indexOf(this.separator);
    if (end < 0) {
      if (this.buffered.length > this.maxLine || this.ended) this.resolve(null);
      return;
    }
    if (end > this.maxLine) {
      this.resolve(null);
      return;
    }
    const line = this.buffered.subarray(0, end).toString('utf8').replace(/\r$/, '');
    this.buffered = this.buffered.subarray(end + 1);
    this.resolve(line);
  }

  private resolve(line: string | null): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(line);
  }

  private finish(): void {
    this.ended = true;
    this.deliver();
  }
}
