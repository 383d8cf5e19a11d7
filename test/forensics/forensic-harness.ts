import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';

import type { ForensicPackage } from '../../src/simulator/forensics.js';
import type { StatusAccess } from '../../src/simulator/status-api.js';
import { ACME } from '../support/cli.js';
import { type StatusHarness } from '../status/status-harness.js';

export const TM_GUID = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';

/** A signed-on appliance of the customer (acme by default) as an upload target. */
export async function uploadTarget(harness: StatusHarness, customer = ACME): Promise<StatusAccess> {
  const appliance = harness.appliance(customer);
  const token = await appliance.signOn();
  return { statusUrl: harness.endpoints.status.url, ca: harness.ca, token };
}

/** A package of random bytes written to a file in 1 MiB pieces, read back streamed. */
export async function filePackage(directory: string, size: number): Promise<ForensicPackage> {
  const file = path.join(directory, `package-${size}.zip`);
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  for (let written = 0; written < size;) {
    const piece = randomBytes(Math.min(1024 * 1024, size - written));
    hash.update(piece);
    await handle.write(piece);
    written += piece.length;
  }
  await handle.close();
  return {
    guid: TM_GUID,
    endpoint: 'wks-042',
    fileName: 'wks-042.zip',
    size,
    sha256: hash.digest('hex'),
    read: (start) => createReadStream(file, { start, highWaterMark: 64 * 1024 }),
  };
}

export function announcement(pkg: ForensicPackage): Record<string, unknown> {
  const { guid, endpoint, fileName, size, sha256 } = pkg;
  return { guid, endpoint, fileName, size, sha256 };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  /** Body bytes the client had written when the answer arrived. */
  sentBeforeAnswer: number;
}

/**
 * A request whose body the test writes itself: `body` gets a write function and runs until the
 * server answers (or it gives up). What was sent before the answer shows whether the server
 * answered before it read the body.
 */
export function rawRequest(
  target: StatusAccess,
  method: 'PUT' | 'POST',
  route: string,
  headers: Record<string, string>,
  body: (write: (chunk: Buffer) => Promise<boolean>, answered: () => boolean) => Promise<void>,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answer: RawAnswer | null = null;
    const outgoing = https.request(`${target.statusUrl}${route}`, {
      method,
      ca: target.ca,
      agent: false,
      servername: 'localhost',
      headers: { authorization: `Bearer ${target.token}`, ...headers },
    });
    outgoing.flushHeaders();
    outgoing.on('error', (error) => (answer === null ? reject(error) : undefined));
    outgoing.on('response', (incoming) => {
      let text = '';
      const sentBeforeAnswer = sent;
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        answer = {
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          json: parse(text),
          sentBeforeAnswer,
        };
        resolve(answer);
        outgoing.destroy();
      });
    });
    const write = (chunk: Buffer): Promise<boolean> =>
      new Promise((done) => {
        if (answer !== null || outgoing.destroyed) return done(false);
        sent += chunk.length;
        if (outgoing.write(chunk)) return done(true);
        outgoing.once('drain', () => done(true)).once('close', () => done(false));
      });
    void body(write, () => answer !== null)
      .then(() => (outgoing.destroyed ? undefined : outgoing.end()))
      .catch(reject);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
