/**
 * Cuts a received log stream into frames: newline-delimited (LF or CRLF) or octet-counted
 * (RFC 6587 `MSGLEN SP SYSLOG-MSG`), told apart by the first bytes of the stream. Memory stays
 * bounded by the maximum frame size whatever the input: over-long frames keep their first part
 * and are flagged, and the rest of them is skipped rather than glued to the next frame.
 * The state machines are in framer.ts; this module is the entry point and re-exports them.
 */
import { Framer } from './framer.js';
import type { FramerEnd, FramerOptions, Framing } from './framing-types.js';

export { detectFraming } from './detect-framing.js';
export { utf8SafeLength } from './frame-buffer.js';
export { Framer } from './framer.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  type Frame,
  type FramerEnd,
  type FramerOptions,
  type Framing,
  type Pending,
  type PendingReason,
} from './framing-types.js';

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
