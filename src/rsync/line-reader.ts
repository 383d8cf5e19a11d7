import type { Duplex } from 'node:stream';

/**
 * Reads newline-terminated text lines from a stream, one at a time, refusing any line longer
 * than the limit. What arrives after a line stays unread for the next reader.
 */
export class LineReader {
  private buffered = Buffer.alloc(0);
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;

  constructor(
    private readonly stream: Duplex,
    private readonly maxLine: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
  }

  /** The next line without its newline, or null if the stream ended or the line was too long. */
  next(): Promise<string | null> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  private deliver(): void {
    if (this.waiting === null) return;
    const end = this.buffered.indexOf(0x0a);
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
