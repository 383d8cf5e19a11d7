import { randomInt } from 'node:crypto';

import { defaultChecksum } from './checksums.js';
import { ExitCode, RsyncError, protocolError } from './errors.js';
import type { PeerInput, PeerOutput } from './multiplex.js';
import { type ByteSource, encodeInt32, encodeVarint } from './wire.js';

/** The protocol versions this receiver speaks (issue 4: 27 to 32). */
export const OLDEST_PROTOCOL = 27;
export const NEWEST_PROTOCOL = 32;

/** Compatibility flags the server announces from protocol 30 on (rsync's compat.c). */
export const CompatFlag = {
  incRecurse: 1 << 0,
  symlinkTimes: 1 << 1,
  symlinkIconv: 1 << 2,
  safeFileList: 1 << 3,
  avoidXattrOptimisation: 1 << 4,
  checksumSeedFix: 1 << 5,
  inplacePartialDir: 1 << 6,
  varintFileListFlags: 1 << 7,
  id0Names: 1 << 8,
} as const;

/**
 * Checksums this server offers, best first. MD4 is left out of the offer: an rsync built with
 * OpenSSL's MD4 seeds its block sums differently from one without, so a negotiated md4 could
 * silently never match a block. A client may still name it (or sha1) with --checksum-choice.
 */
export const SERVER_CHECKSUMS = ['md5', 'none'] as const;
const NAMED_CHECKSUMS = ['md5', 'md4', 'sha1', 'none'] as const;
export type ChecksumChoice = (typeof NAMED_CHECKSUMS)[number];
/** Token compressions this server decodes, best first. */
export const SERVER_COMPRESSIONS = ['zlibx', 'zlib', 'none'] as const;
export type CompressionChoice = (typeof SERVER_COMPRESSIONS)[number];

/** What the client's command line says about the handshake. */
export interface HandshakeRequest {
  /** The letters after `-e.`: the client's capabilities. */
  capabilities: string;
  compress: boolean;
  /** An explicit --compress-choice / --checksum-choice: then nothing is negotiated for it. */
  compressChoice?: string;
  checksumChoice?: string;
  checksumSeed?: number;
}

export interface Negotiated {
  protocol: number;
  compatFlags: number;
  checksum: ChecksumChoice;
  /** Whether the checksum was named (negotiated or chosen) rather than the protocol default. */
  checksumNamed: boolean;
  compression: CompressionChoice;
  seed: number;
}

/**
 * The binary handshake of a receiving server: version exchange (not in daemon mode, where the
 * text greeting carried it), compat flags, checksum and compression negotiation, seed.
 */
export async function shakeHands(
  input: PeerInput,
  output: PeerOutput,
  request: HandshakeRequest,
  daemonProtocol?: number,
): Promise<Negotiated> {
  const protocol = daemonProtocol ?? (await exchangeVersions(input, output));
  const compatFlags = protocol >= 30 ? serverCompatFlags(request.capabilities) : 0;
  if (protocol >= 30) output.write(encodeVarint(compatFlags));

  const negotiating = (compatFlags & CompatFlag.varintFileListFlags) !== 0;
  const askChecksum = request.checksumChoice === undefined;
  const askCompression = request.compress && request.compressChoice === undefined;
  if (negotiating && askChecksum) output.write(vstring(SERVER_CHECKSUMS.join(' ')));
  if (negotiating && askCompression) output.write(vstring(SERVER_COMPRESSIONS.join(' ')));
  await output.flush();

  const checksum: ChecksumChoice = askChecksum
    ? await chooseFrom<ChecksumChoice>(
        input,
        negotiating,
        SERVER_CHECKSUMS,
        defaultChecksum(protocol),
      )
    : named(NAMED_CHECKSUMS, request.checksumChoice, 'checksum');
  const compression = !request.compress
    ? 'none'
    : askCompression
      ? await chooseFrom(input, negotiating, SERVER_COMPRESSIONS, 'zlib')
      : named(SERVER_COMPRESSIONS, request.compressChoice, 'compression');

  const seed = request.checksumSeed ?? randomInt(1, 0x7fffffff);
  output.write(encodeInt32(seed));
  const checksumNamed = !askChecksum || negotiating;
  return { protocol, compatFlags, checksum, checksumNamed, compression, seed };
}

async function exchangeVersions(input: PeerInput, output: PeerOutput): Promise<number> {
  output.write(encodeInt32(NEWEST_PROTOCOL));
  await output.flush();
  const client = await input.readInt32();
  if (client < 20 || client > 40) {
    throw protocolError('protocol version mismatch -- is your shell clean?');
  }
  return checkedProtocol(Math.min(client, NEWEST_PROTOCOL));
}

/** Refuses protocols below 27, whose checksums and file lists this server does not read. */
export function checkedProtocol(protocol: number): number {
  if (protocol < OLDEST_PROTOCOL) {
    throw new RsyncError(
      `tmsp: protocol ${protocol} is too old; this log server needs ${OLDEST_PROTOCOL} or later`,
      ExitCode.protocol,
    );
  }
  return protocol;
}

/**
 * The server decides the flags. Incremental recursion stays off: the whole file list then
 * arrives before any transfer, which keeps the receiver simple and its checks complete.
 */
function serverCompatFlags(capabilities: string): number {
  const when = (letter: string, flag: number): number => (capabilities.includes(letter) ? flag : 0);
  return (
    CompatFlag.symlinkTimes |
    when('f', CompatFlag.safeFileList) |
    when('x', CompatFlag.avoidXattrOptimisation) |
    when('C', CompatFlag.checksumSeedFix) |
    when('I', CompatFlag.inplacePartialDir) |
    when('u', CompatFlag.id0Names) |
    when('v', CompatFlag.varintFileListFlags)
  );
}

/**
 * rsync's rule: each side takes its own most preferred name that the peer also lists; with the
 * same preference order on both sides they agree. Old peers send no list: the default applies.
 */
async function chooseFrom<T extends string>(
  input: PeerInput,
  negotiating: boolean,
  ours: readonly T[],
  fallback: T,
): Promise<T> {
  if (!negotiating) return fallback;
  const theirs = new Set((await readVstring(input)).split(' ').filter(Boolean));
  const choice = ours.find((name) => theirs.has(name));
  if (choice === undefined) {
    throw new RsyncError(
      `tmsp: no common choice; the server offers ${ours.join(' ')}`,
      ExitCode.unsupported,
    );
  }
  return choice;
}

function named<T extends string>(ours: readonly T[], name: string | undefined, what: string): T {
  const choice = ours.find((candidate) => candidate === name);
  if (choice === undefined) {
    throw new RsyncError(
      `tmsp: ${what} ${name ?? ''} is not supported; use one of ${ours.join(' ')}`,
      ExitCode.unsupported,
    );
  }
  return choice;
}

/** A short string: one length byte, or two with the high bit set (rsync's vstring). */
export function vstring(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head =
    body.length > 0x7f
      ? Buffer.from([(body.length >> 8) | 0x80, body.length & 0xff])
      : Buffer.from([body.length]);
  return Buffer.concat([head, body]);
}

export async function readVstring(input: ByteSource): Promise<string> {
  let length = await input.readByte();
  if (length & 0x80) length = (length & 0x7f) * 0x100 + (await input.readByte());
  if (length > 1024) throw protocolError('over-long negotiation string');
  return (await input.readBytes(length)).toString('latin1');
}
