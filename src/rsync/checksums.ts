import { createHash } from 'node:crypto';
import { ExitCode, RsyncError } from './errors.js';
import { Md4 } from './md4.js';

/**
 * The checksums of an rsync transfer (rsync's checksum.c): the weak rolling sum and the strong
 * sums of each basis block, which the generator sends, and the whole-file sum the receiver
 * checks after the last token. The rules are rsync's, protocols 27 and up.
 */

/** Strong checksums this server computes; rsync's xxh* family is not offered. */
export type ChecksumName = 'md5' | 'md4' | 'sha1' | 'none';

const OLDEST_PROTOCOL = 27;
/** From this protocol on rsync's default strong sum is MD5, and MD4 only when named. */
const MD5_PROTOCOL = 30;

/**
 * rsync's get_checksum1 over one block. rsync reads the bytes as signed chars and adds no
 * CHAR_OFFSET (it is 0), so a byte of 0x80 or more counts as a negative number; peers compare
 * these sums, so the signedness has to match theirs. The result is the unsigned 32-bit value
 * (low half s1, high half s2) that goes on the wire as an int32.
 */
export function rollingChecksum(data: Uint8Array): number {
  let s1 = 0;
  let s2 = 0;
  for (const byte of data) {
    s1 = (s1 + ((byte << 24) >> 24)) | 0;
    s2 = (s2 + s1) | 0;
  }
  return ((s1 & 0xffff) | (s2 << 16)) >>> 0;
}

/**
 * The checksum a session uses when the peers negotiated none and the client named none
 * (rsync's parse_csum_name for "auto"): MD5 from protocol 30, MD4 before.
 */
export function defaultChecksum(protocol: number): ChecksumName {
  return protocol >= MD5_PROTOCOL ? 'md5' : 'md4';
}

/**
 * Bytes of a full digest (checksum.c: csum_len_for_type). 'none' still has one byte: the
 * sender sends a single zero byte as the file's sum, and the receiver reads and compares it.
 */
export function digestLength(name: ChecksumName): number {
  switch (name) {
    case 'md5':
    case 'md4':
      return 16;
    case 'sha1':
      return 20;
    case 'none':
      return 1;
  }
}

export type BlockDigest = (data: Uint8Array) => Buffer;

export interface FileDigest {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

/**
 * The strong sum of one basis block (checksum.c: get_checksum2), full length; the caller keeps
 * the sum header's s2length leading bytes. The seed is the int32 the server sent, mixed in as 4
 * little-endian bytes, and only when it is not zero. Where it goes differs per digest:
 * - md4: after the data. rsync's own MD4 has always appended it. (An rsync that finds MD4 in its
 *   OpenSSL puts the seed first when md4 is negotiated by name, unlike one without; the two
 *   then never match blocks, so a server should not offer md4 to protocol 30+ clients.)
 * - md5: before the data when the session has CF_CHKSUM_SEED_FIX (rsync 3.1.2 moved it so that
 *   block sums could not be forged), after it otherwise: the "proper seed order" flag exists so
 *   that both sides agree on the order. (md5 named by a client without the fix is seeded first
 *   by rsync builds using OpenSSL and last by others; only matching suffers from guessing.)
 * - sha1: before the data; rsync only computes it through OpenSSL, which always seeds first.
 * 'none' never reaches here: rsync forces whole-file transfers with it and has no block sum.
 */
export function blockDigest(
  name: ChecksumName,
  seed: number,
  protocol: number,
  properSeedOrder: boolean,
): BlockDigest {
  requireProtocol(protocol);
  const seedBytes = seed === 0 ? Buffer.alloc(0) : int32Bytes(seed);
  switch (name) {
    case 'md4':
      return (data) => new Md4().update(data).update(seedBytes).digest();
    case 'md5':
      return properSeedOrder
        ? (data) => nodeDigest('md5', seedBytes, data)
        : (data) => nodeDigest('md5', data, seedBytes);
    case 'sha1':
      return (data) => nodeDigest('sha1', seedBytes, data);
    case 'none':
      throw new RsyncError(
        'the "none" checksum allows whole-file transfers only',
        ExitCode.unsupported,
      );
  }
}

/**
 * The whole-file sum the receiver computes over the file it rebuilt (receiver.c: sum_init with
 * the transfer checksum and the seed) and compares with the one the sender sends after the
 * last token. `named` says the checksum was negotiated or given with --checksum-choice rather
 * than left to the protocol's default (defaultChecksum); rsync tells the two apart for md4.
 * - md4 as the default before protocol 30 (rsync's CSUM_MD4_OLD): the seed's 4 bytes come
 *   first, even when the seed is 0, as rsync's sum_init has always done for it.
 * - md4 by name (CSUM_MD4, the only md4 from protocol 30 on): no seed at all.
 * - md5 and sha1: no seed; the seed only guards block sums against forged collisions.
 * - none: a single zero byte whatever the data, so the check always passes.
 */
export function fileDigest(
  name: ChecksumName,
  seed: number,
  protocol: number,
  named = false,
): FileDigest {
  requireProtocol(protocol);
  switch (name) {
    case 'md4': {
      const hash = new Md4();
      if (protocol < MD5_PROTOCOL && !named) hash.update(int32Bytes(seed));
      return { update: (data) => hash.update(data), digest: () => hash.digest() };
    }
    case 'md5':
    case 'sha1': {
      const hash = createHash(name);
      return { update: (data) => hash.update(data), digest: () => hash.copy().digest() };
    }
    case 'none':
      return { update: () => undefined, digest: () => Buffer.alloc(1) };
  }
}

/**
 * The answer to a daemon's challenge from a client of protocol 27 to 29 whose greeting lists no
 * digests (authenticate.c: generate_hash; compat.c: negotiate_daemon_auth turns the implied md4
 * into the old seeded kind, with seed 0): MD4 over four zero bytes, the secret and the
 * challenge text. An md4 named in a digest list has no such prefix. The caller base64-encodes
 * the result without padding.
 */
export function legacyAuthDigest(secret: string, challenge: string): Buffer {
  const digest = fileDigest('md4', 0, MD5_PROTOCOL - 1);
  digest.update(Buffer.from(secret));
  digest.update(Buffer.from(challenge));
  return digest.digest();
}

function requireProtocol(protocol: number): void {
  if (protocol < OLDEST_PROTOCOL) {
    throw new RsyncError(`protocol ${protocol} is too old`, ExitCode.unsupported);
  }
}

function int32Bytes(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value | 0, 0);
  return bytes;
}

function nodeDigest(algorithm: 'md5' | 'sha1', first: Uint8Array, second: Uint8Array): Buffer {
  return createHash(algorithm).update(first).update(second).digest();
}
