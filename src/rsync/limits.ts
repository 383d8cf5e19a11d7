import { ExitCode, RsyncError } from './errors.js';

/** What one push may bring; the door sets these from the configuration. */
export interface PushLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxPushBytes: number;
}

export const DEFAULT_PUSH_LIMITS: PushLimits = {
  maxFiles: 100_000,
  maxFileBytes: 8 * 1024 ** 3,
  maxPushBytes: 64 * 1024 ** 3,
};

/** Counts the bytes a push writes and stops it, with a message, at its limit. */
export class ByteBudget {
  private used = 0;

  constructor(private readonly limit: number) {}

  spend(count: number): void {
    this.used += count;
    if (this.used > this.limit) {
      throw new RsyncError(
        `tmsp: this push exceeds the ${this.limit} bytes one push may bring; ` +
          'send fewer files at a time',
        ExitCode.fileIo,
      );
    }
  }
}
