import { randomBytes } from 'node:crypto';

/**
 * The text exchange that opens an rsync daemon connection (PROTOCOLS.md §2.2): greetings with
 * protocol version and auth digest lists, the module line, the challenge and its response.
 * Pure functions: the door that speaks them decides what to do with the answers.
 */

/** Highest protocol this server speaks; the lower of both sides' versions wins. */
export const SERVER_PROTOCOL = 32;
/** Auth digests this server can check, best first. MD4 (protocol < 30) is not among them. */
export const SERVER_DIGESTS = ['sha512', 'sha256', 'sha1', 'md5'] as const;
export type DaemonDigest = (typeof SERVER_DIGESTS)[number];

export const SERVER_GREETING = `@RSYNCD: ${SERVER_PROTOCOL}.0 ${SERVER_DIGESTS.join(' ')}\n`;

/** The longest text line a peer may send before it is cut off. */
export const MAX_LINE = 1024;

export interface ClientGreeting {
  protocol: number;
  digests: string[];
}

/** Reads `@RSYNCD: 31.0 sha512 md5`; null when the line is not a greeting. */
export function parseGreeting(line: string): ClientGreeting | null {
  const match = /^@RSYNCD: (\d{1,3})\.(\d{1,3})(?: ([\w ]{0,200}))?$/.exec(line);
  if (match === null) return null;
  const protocol = Number(match[1]);
  if (protocol < 20 || protocol > 40) return null;
  return { protocol, digests: (match[3] ?? '').split(' ').filter(Boolean) };
}

/**
 * The digest the client will answer the challenge with: its first choice that the server
 * offers; MD5 for protocol 30 and 31 clients that send no list; none this server can check for
 * older peers (they use MD4).
 */
export function negotiatedDigest(client: ClientGreeting): DaemonDigest | null {
  if (client.digests.length === 0) return client.protocol >= 30 ? 'md5' : null;
  const offered = new Set<string>(SERVER_DIGESTS);
  const choice = client.digests.find((digest) => offered.has(digest));
  return (choice as DaemonDigest | undefined) ?? null;
}

/** A fresh challenge: random, in the unpadded base64 rsync itself sends. */
export function newChallenge(): string {
  return randomBytes(16).toString('base64').replace(/=+$/, '');
}

export interface ChallengeResponse {
  userName: string;
  response: string;
}

/** Reads the client's `<user> <response>` line. */
export function parseChallengeResponse(line: string): ChallengeResponse | null {
  const match = /^(\S{1,128}) ([A-Za-z0-9+/]{1,128})$/.exec(line);
  return match === null ? null : { userName: match[1] as string, response: match[2] as string };
}
