import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { Readable } from 'node:stream';

import { callHttps, unexpected } from './https-client.js';
import type { StatusAccess } from './status-api.js';

/** A forensic data package as the uploader sees it: announced first, then read from anywhere. */
export interface ForensicPackage {
  guid: string;
  endpoint: string;
  fileName: string;
  size: number;
  sha256: string;
  /** The package's bytes from `start` to its end. */
  read(start: number): Readable;
}

export interface UploadOutcome {
  caseId: number;
  /** The offsets ranges were sent from: [0] without interruption, [0, n] after one. */
  sentFrom: number[];
}

const PACKAGE_TYPE = 'application/octet-stream';

/**
 * A fake encrypted zip: random bytes look like ciphertext, which is all the server sees of a
 * real package.
 */
export function fakePackage(guid: string, endpoint: string, size: number): ForensicPackage {
  const bytes = randomBytes(size);
  return {
    guid,
    endpoint,
    fileName: `${endpoint}-${Date.now()}.zip`,
    size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    read: (start) => Readable.from([bytes.subarray(start)]),
  };
}

/**
 * Uploads a package with the resumable protocol: announce, send from the offset the server
 * holds, and after a broken connection ask it for the offset and send the rest. With
 * `interruptAt` (0 to 1) the first attempt cuts its own connection after that share.
 */
export async function uploadForensicPackage(
  target: StatusAccess,
  pkg: ForensicPackage,
  options: { interruptAt?: number; attempts?: number } = {},
): Promise<UploadOutcome> {
  const id = await announce(target, pkg);
  const sentFrom: number[] = [];
  let cutAfter =
    options.interruptAt === undefined ? undefined : Math.floor(pkg.size * options.interruptAt);
  for (let attempt = 0; attempt < (options.attempts ?? 3); attempt += 1) {
    const offset = attempt === 0 ? 0 : await currentOffset(target, id);
    sentFrom.push(offset);
    const caseId = await sendRange(target, id, pkg, offset, cutAfter).catch(() => null);
    cutAfter = undefined;
    if (caseId !== null) return { caseId, sentFrom };
  }
  throw new Error(`forensic upload ${id} did not complete`);
}

async function announce(target: StatusAccess, pkg: ForensicPackage): Promise<string> {
  const { guid, endpoint, fileName, size, sha256 } = pkg;
  const answer = await callHttps({
    method: 'POST',
    url: `${target.statusUrl}/v1/forensic-uploads`,
    ca: target.ca,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
    body: JSON.stringify({ guid, endpoint, fileName, size, sha256 }),
  });
  if (answer.status !== 201) throw unexpected('forensic upload', answer);
  return (JSON.parse(answer.text) as { id: string }).id;
}

/** The offset the server acknowledged: where the next range must start. */
export async function currentOffset(target: StatusAccess, id: string): Promise<number> {
  const answer = await callHttps({
    method: 'GET',
    url: `${target.statusUrl}/v1/forensic-uploads/${id}`,
    ca: target.ca,
    headers: { authorization: `Bearer ${target.token}` },
  });
  if (answer.status !== 200) throw unexpected('forensic upload offset', answer);
  return (JSON.parse(answer.text) as { offset: number }).offset;
}

/**
 * PUTs the package from `offset` to its end, streamed. Resolves with the case id once the
 * server has the whole package; with `cutAfter`, destroys the connection after that many
 * bytes of the whole package, as a dropped line would.
 */
function sendRange(
  target: StatusAccess,
  id: string,
  pkg: ForensicPackage,
  offset: number,
  cutAfter?: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${target.statusUrl}/v1/forensic-uploads/${id}`, {
      method: 'PUT',
      ca: target.ca,
      headers: {
        authorization: `Bearer ${target.token}`,
        'content-type': PACKAGE_TYPE,
        'content-length': String(pkg.size - offset),
        'content-range': `bytes ${offset}-${pkg.size - 1}/${pkg.size}`,
      },
    });
    outgoing.on('error', reject);
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (incoming.statusCode !== 201) reject(new Error(`PUT answered ${incoming.statusCode}`));
        else resolve((JSON.parse(text) as { caseId: number }).caseId);
      });
    });
    void streamBody(outgoing, pkg.read(offset), offset, cutAfter).catch(reject);
  });
}

async function streamBody(
  outgoing: ReturnType<typeof request>,
  source: Readable,
  offset: number,
  cutAfter?: number,
): Promise<void> {
  let position = offset;
  for await (const piece of source) {
    const chunk = piece as Buffer;
    if (cutAfter !== undefined && position + chunk.length >= cutAfter) {
      outgoing.write(chunk.subarray(0, Math.max(0, cutAfter - position)));
      // Give the bytes a moment on the wire, then drop the line as a failing link would.
      await new Promise((resolve) => setTimeout(resolve, 50));
      outgoing.destroy(new Error('connection cut'));
      return;
    }
    position += chunk.length;
    if (!outgoing.write(chunk)) await drained(outgoing);
    if (outgoing.destroyed) return;
  }
  outgoing.end();
}

/** Waits for room in the request's buffer, or for its end when the server cut it off. */
function drained(outgoing: ReturnType<typeof request>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      outgoing.off('drain', done).off('close', done);
      resolve();
    };
    outgoing.once('drain', done).once('close', done);
  });
}
