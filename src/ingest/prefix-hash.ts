import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * The SHA-256 of a file's first N bytes, kept up to date as reading goes on. Bytes are handed
 * in as they are read; the digest is asked for at a commit point, which may lie behind what
 * was read (the framer holds back an unfinished line), so the bytes in between wait here.
 */
export class PrefixHasher {
  readonly #hash: Hash;
  #hashedTo: number;
  #waiting: Buffer[] = [];
  #waitingFrom: number;

  constructor(hash: Hash = createHash('sha256'), hashedTo = 0) {
    this.#hash = hash;
    this.#hashedTo = hashedTo;
    this.#waitingFrom = hashedTo;
  }

  get hashedTo(): number {
    return this.#hashedTo;
  }

  /** Bytes read at the current end of what was handed in. */
  append(chunk: Buffer): void {
    this.#waiting.push(chunk);
  }

  /** Hashes what was handed in up to `offset` and returns the digest of [0, offset). */
  digestTo(offset: number): string {
    this.#advanceTo(offset);
    return this.#hash.copy().digest('hex');
  }

  /** A copy that can go on from here, e.g. to resume the same file later in this process. */
  fork(): PrefixHasher {
    return new PrefixHasher(this.#hash.copy(), this.#hashedTo);
  }

  #advanceTo(offset: number): void {
    while (this.#hashedTo < offset) {
      const chunk = this.#waiting[0];
      if (chunk === undefined) throw new Error(`prefix hash asked past what was read (${offset})`);
      const skip = this.#hashedTo - this.#waitingFrom;
      const take = Math.min(chunk.length - skip, offset - this.#hashedTo);
      this.#hash.update(chunk.subarray(skip, skip + take));
      this.#hashedTo += take;
      if (skip + take === chunk.length) {
        this.#waiting.shift();
        this.#waitingFrom += chunk.length;
      }
    }
  }
}

const READ_SIZE = 1024 * 1024;

/**
 * Hashes the first `length` bytes of an open file, or returns null when it is shorter. The
 * hasher returned can go on from there.
 */
export async function hashFilePrefix(
  handle: FileHandle,
  length: number,
): Promise<{ digest: string; hasher: PrefixHasher } | null> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(length, 1)));
  let position = 0;
  while (position < length) {
    const want = Math.min(buffer.length, length - position);
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    if (bytesRead === 0) return null;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  const hasher = new PrefixHasher(hash, length);
  return { digest: hasher.digestTo(length), hasher };
}
