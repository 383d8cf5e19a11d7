/** What a framer is given and hands back: frames, the open tail, and its options. */

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
