/**
 * Exit codes the rsync client knows (rsync's errcode.h); the client prints its own text for
 * each, after any message the server sent.
 */
export const ExitCode = {
  ok: 0,
  syntax: 1,
  protocol: 2,
  fileSelect: 3,
  unsupported: 4,
  startClient: 5,
  socketIo: 10,
  fileIo: 11,
  streamIo: 12,
  partial: 23,
  timeout: 30,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Anything that ends an rsync session early: the peer broke the protocol, asked for something
 * this server refuses, or the store failed. The message is shown to the client's user, so it
 * never holds secrets or server paths.
 */
export class RsyncError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.protocol,
  ) {
    super(message);
    this.name = 'RsyncError';
  }
}

/** The peer sent something the protocol does not allow. */
export const protocolError = (message: string): RsyncError =>
  new RsyncError(message, ExitCode.protocol);

/** The stream ended or broke in the middle of a message. */
export const streamError = (message: string): RsyncError =>
  new RsyncError(message, ExitCode.streamIo);

/** The client asked for something this server does not do. */
export const refused = (message: string): RsyncError => new RsyncError(message, ExitCode.syntax);
