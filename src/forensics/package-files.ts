import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { applianceAreaRoot } from '../shared/area-layout.js';
import { AppError } from '../shared/errors.js';
import { syncDirectory } from '../shared/files.js';

/**
 * Where an appliance's uploaded packages lie: `<areas>/<customer id>/<GUID>/forensics/`. The
 * partial file of an upload sits in the same directory as the package it becomes, so the
 * final rename is atomic; each package has a name of its own, so no rename ever replaces an
 * earlier package (C46).
 */
export function packageDirectory(areasDir: string, customerId: number, guid: string): string {
  return path.join(applianceAreaRoot(areasDir, customerId, guid), 'forensics');
}

export function partialFile(directory: string, uploadId: string): string {
  return path.join(directory, `.${uploadId}.part`);
}

export function packageFile(directory: string, uploadId: string): string {
  return path.join(directory, `${uploadId}.zip`);
}

/** How a range's body ended before all of it was written. */
export class BodyEnded extends Error {
  constructor(readonly reason: 'interrupted' | 'too_long') {
    super(reason === 'interrupted' ? 'the request ended early' : 'the body is longer than allowed');
  }
}

/**
 * Writes a request body into the partial file from `offset`, one chunk at a time with the
 * body paused meanwhile, so memory holds one chunk whatever the file's size. More than
 * `allowed` bytes stop the copy at once without destroying the request, so that a 413 can
 * still be answered. What was written stays, durable, as the basis of a resumed upload.
 */
export async function writeRange(
  file: string,
  offset: number,
  body: Readable,
  allowed: number,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
  const handle = await open(file, offset === 0 ? 'w' : 'r+', 0o640);
  try {
    // Bytes past the acknowledged offset are left from a write the database never confirmed.
    await handle.truncate(offset);
    await copyBody(body, handle, offset, allowed);
  } finally {
    await handle.sync().catch(() => undefined);
    await handle.close();
  }
}

function copyBody(
  body: Readable,
  handle: FileHandle,
  offset: number,
  allowed: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      // The error listener stays: a reset after this must not become an uncaught error.
      body.off('data', onData).off('end', onEnd).off('close', onBroken);
      body.pause();
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new BodyEnded('interrupted'));
    };
    const onData = (chunk: Buffer): void => {
      if (written + chunk.length > allowed) return settle(new BodyEnded('too_long'));
      body.pause();
      handle.write(chunk, 0, chunk.length, offset + written).then(() => {
        written += chunk.length;
        if (!settled) body.resume();
      }, settle);
    };
    const onEnd = (): void => settle();
    // A reset connection is an interruption like any other: the client resumes.
    const onBroken = (): void => settle(new BodyEnded('interrupted'));
    body.on('data', onData).once('end', onEnd).once('close', onBroken).on('error', onBroken);
    // The body may have ended or broken while the range waited for its turn (the database,
    // another range of the upload): then no event comes any more, and it must settle now.
    if (body.readableEnded) settle();
    else if (body.destroyed || body.errored !== null) settle(new BodyEnded('interrupted'));
  });
}

/** The size of what the partial file durably holds, 0 if there is none. */
export async function partialSize(file: string): Promise<number> {
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return 0;
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Renames the complete partial file to its package name and makes the rename durable. */
export async function promotePartial(partial: string, target: string): Promise<void> {
  await rename(partial, target);
  await syncDirectory(path.dirname(target));
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** A write the disk refused, as the appliance should hear it (C45); anything else as it is. */
export function diskError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !FULL.has(code)) return error;
  return new AppError(
    'insufficient_storage',
    'the forensic store is full; nothing of this package was kept, upload it again later',
    { cause: error },
  );
}
