/** One frame's bytes as they arrive in pieces, kept up to the frame size limit. */

export function concat(parts: Uint8Array[], length: number): Uint8Array {
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

/** Collects one frame's content up to a limit, counting (not keeping) what goes past it. */
export class FrameBuffer {
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
