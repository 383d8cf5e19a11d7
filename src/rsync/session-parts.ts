import { blockDigest, digestLength, fileDigest, rollingChecksum } from './checksums.js';
import type { StreamDigest, TokenSource } from './receiver.js';
import { parallelHash } from '../shared/parallel-hash.js';
import { CompatFlag, type Negotiated } from './handshake.js';
import { type TokenReader, tokenReader } from './tokens.js';
import type { ByteSource } from './wire.js';

/**
 * The pieces of a session that depend on what the handshake settled: checksums with their
 * seed and order, the token decoder, and the file-list reader's options.
 */
export interface ProtocolParts {
  digestLength: number;
  rollingSum: (block: Buffer) => number;
  strongSum: (block: Buffer) => Buffer;
  fileDigest: () => StreamDigest;
  tokens: (input: ByteSource) => TokenSource;
}

export function protocolParts(negotiated: Negotiated): ProtocolParts {
  const { protocol, checksum, checksumNamed, seed, compatFlags, compression } = negotiated;
  const properSeedOrder = (compatFlags & CompatFlag.checksumSeedFix) !== 0;
  const strongSum =
    checksum === 'none'
      ? () => Buffer.alloc(0)
      : blockDigest(checksum, seed, protocol, properSeedOrder);
  return {
    digestLength: digestLength(checksum),
    rollingSum: rollingChecksum,
    strongSum,
    fileDigest: () =>
      // Unseeded digests can run on the hashing thread; rsync's own MD4 stays here.
      checksum === 'md5' || checksum === 'sha1'
        ? parallelHash(checksum)
        : fileDigest(checksum, seed, protocol, checksumNamed),
    tokens: (input) => perFileTokens(input, compression, protocol),
  };
}

/** rsync starts each file's token stream afresh; one reader per file follows that. */
function perFileTokens(
  input: ByteSource,
  compression: Negotiated['compression'],
  protocol: number,
): TokenSource {
  let current: TokenReader | null = null;
  const reader = (): TokenReader => {
    if (current === null) throw new Error('token stream read before a file began');
    return current;
  };
  return {
    beginFile: (blockCount) => {
      current = tokenReader(input, compression, blockCount - 1, protocol);
    },
    next: () => reader().next(),
    seeBlock: (data) => reader().seeBlock(data),
  };
}
