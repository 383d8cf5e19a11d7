import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';

import type { Clock } from '../shared/clock.js';
import { AppError, notFound } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { openCase } from './cases.js';
import { type ByteRange, checkRange, tooLarge } from './ranges.js';
import {
  BodyEnded,
  diskError,
  packageDirectory,
  packageFile,
  partialFile,
  partialSize,
  promotePartial,
  removeFile,
  sha256Of,
  writeRange,
} from './package-files.js';
import {
  claimWriter,
  deleteUpload,
  findUpload,
  finishedUpload,
  openUploads,
  releaseWriter,
  insertUpload,
  setReceivedBytes,
  type Upload,
} from './uploads.js';

export interface ForensicDeps {
  store: Store;
  clock: Clock;
  areasDir: string;
  /** forensics.maxBytes */
  maxBytes: number;
  logger: Logger;
}

/** The appliance an upload is for: registered to the account the session belongs to. */
export interface Uploader {
  customerId: number;
  productId: number;
  guid: string;
}

export interface UploadRequest {
  guid: string;
  endpoint: string;
  fileName: string;
  size: number;
  sha256: string;
}

export interface UploadState {
  upload: Upload;
  guid: string;
  /** Set once the last byte arrived and the package opened a case. */
  caseId: number | null;
}

/**
 * A Threat Mitigator uploads one package per case, a few at a time; each announcement may claim
 * up to forensics.maxBytes of disk, so an appliance cannot hold more than this many open.
 */
const OPEN_UPLOADS_PER_APPLIANCE = 16;

/** One writer per upload in this process: a resumed range waits for the interrupted one. */
const busy = new Map<string, Promise<unknown>>();

async function exclusively<T>(uploadId: string, fn: () => Promise<T>): Promise<T> {
  for (let running = busy.get(uploadId); running !== undefined; running = busy.get(uploadId)) {
    await running.catch(() => undefined);
  }
  const work = fn();
  busy.set(uploadId, work);
  try {
    return await work;
  } finally {
    if (busy.get(uploadId) === work) busy.delete(uploadId);
  }
}

/** Announces a package: refused at once when it is larger than the limit (C48). */
export async function startUpload(
  deps: ForensicDeps,
  uploader: Uploader,
  request: UploadRequest,
): Promise<UploadState> {
  if (request.size > deps.maxBytes) throw tooLarge(deps.maxBytes);
  if ((await productType(deps, uploader.productId)) === 'TDA') {
    throw new AppError('forbidden', 'forensic data comes from Threat Mitigators, not from a TDA');
  }
  const open = await openUploads(deps.store.db, uploader.productId);
  if (open >= OPEN_UPLOADS_PER_APPLIANCE) {
    throw new AppError(
      'throttled',
      `this appliance has ${open} uploads in progress; finish them before announcing another`,
    );
  }
  const upload = await insertUpload(deps.store.db, {
    id: randomBytes(16).toString('hex'),
    customerId: uploader.customerId,
    productId: uploader.productId,
    endpoint: request.endpoint,
    fileName: request.fileName,
    declaredSize: request.size,
    declaredSha256: request.sha256.toLowerCase(),
    startedAt: deps.clock.now().getTime(),
  });
  const log = uploadLog(deps, upload, uploader.guid);
  log.info({ size: upload.declaredSize }, 'forensic upload announced');
  return { upload, guid: uploader.guid, caseId: null };
}

/** Where an upload stands, once any range still being written for it has settled. */
export async function uploadState(
  deps: ForensicDeps,
  customerId: number,
  uploadId: string,
): Promise<UploadState> {
  return exclusively(uploadId, async () => {
    const finished = await finishedUpload(deps.store.db, customerId, uploadId);
    if (finished !== null) return finished;
    const upload = await requireUpload(deps, customerId, uploadId);
    return { upload, guid: await guidOf(deps, upload.productId), caseId: null };
  });
}

/**
 * Appends one range at the acknowledged offset. An interrupted body keeps what arrived, as the
 * new offset; a body longer than its range, a full disk or a wrong SHA-256 end the upload and
 * remove its file. The last byte opens the case.
 */
export async function receiveRange(
  deps: ForensicDeps,
  customerId: number,
  uploadId: string,
  range: ByteRange,
  body: Readable,
): Promise<UploadState> {
  return exclusively(uploadId, async () => {
    await requireUpload(deps, customerId, uploadId);
    const lease = randomBytes(8).toString('hex');
    if (!(await claimWriter(deps.store.db, uploadId, lease, deps.clock.now().getTime()))) {
      throw new AppError(
        'conflict',
        'another range of this upload is being written; ask for the offset and resume',
      );
    }
    try {
      // Read again under the lease: another process may have moved the offset meanwhile.
      return await writeAtOffset(
        deps,
        await requireUpload(deps, customerId, uploadId),
        range,
        body,
      );
    } finally {
      await releaseWriter(deps.store.db, uploadId, lease);
    }
  });
}

async function writeAtOffset(
  deps: ForensicDeps,
  upload: Upload,
  range: ByteRange,
  body: Readable,
): Promise<UploadState> {
  checkRange(range, upload);
  const guid = await guidOf(deps, upload.productId);
  const directory = packageDirectory(deps.areasDir, upload.customerId, guid);
  const partial = partialFile(directory, upload.id);
  try {
    await writeRange(partial, range.start, body, range.end - range.start + 1);
  } catch (error) {
    return settleFailedRange(deps, { ...upload, guid }, partial, error);
  }
  const received = await acknowledge(deps, upload, partial);
  const complete = received.receivedBytes === received.declaredSize;
  const caseId = complete ? await finish(deps, received, guid, directory) : null;
  return { upload: received, guid, caseId };
}

async function settleFailedRange(
  deps: ForensicDeps,
  upload: Upload & { guid: string },
  partial: string,
  error: unknown,
): Promise<never> {
  const log = uploadLog(deps, upload, upload.guid);
  if (error instanceof BodyEnded && error.reason === 'interrupted') {
    const received = await acknowledge(deps, upload, partial);
    log.info({ offset: received.receivedBytes }, 'forensic upload interrupted');
    throw new AppError('conflict', 'the request ended early; resume from the acknowledged offset');
  }
  await abandon(deps, upload, partial);
  if (error instanceof BodyEnded) {
    log.warn({ limit: deps.maxBytes }, 'forensic upload longer than announced; removed');
    throw tooLarge(Math.min(deps.maxBytes, upload.declaredSize));
  }
  const failure = diskError(error);
  log.error({ err: error }, 'forensic upload could not be written; removed');
  throw failure;
}

/** Records what the partial file durably holds as the offset the next range starts at. */
async function acknowledge(deps: ForensicDeps, upload: Upload, partial: string): Promise<Upload> {
  const receivedBytes = Math.min(await partialSize(partial), upload.declaredSize);
  const now = deps.clock.now().getTime();
  await setReceivedBytes(deps.store.db, upload.id, receivedBytes, now);
  return { ...upload, receivedBytes, updatedAt: now };
}

/**
 * Checks the whole file's SHA-256, renames it into place and, in one transaction, opens the
 * case and ends the upload. Whatever fails removes the file: no case points at a package
 * that is not complete and in place (C45).
 */
async function finish(
  deps: ForensicDeps,
  upload: Upload,
  guid: string,
  directory: string,
): Promise<number> {
  const partial = partialFile(directory, upload.id);
  const sha256 = await sha256Of(partial);
  if (sha256 !== upload.declaredSha256) {
    await abandon(deps, upload, partial);
    throw new AppError(
      'checksum_mismatch',
      `the package's SHA-256 is ${sha256}, not the announced ${upload.declaredSha256}; ` +
        'the upload was removed: start it again',
    );
  }
  const target = packageFile(directory, upload.id);
  try {
    await promotePartial(partial, target);
    const caseId = await inTransaction(deps.store, async (db) => {
      await deleteUpload(db, upload.id);
      const filePath = path.relative(deps.areasDir, target);
      const size = upload.declaredSize;
      const received = { ...upload, guid, filePath, size, sha256, uploadId: upload.id };
      return openCase(db, received, deps.clock.now().getTime());
    });
    const log = uploadLog(deps, upload, guid);
    log.info({ caseId, size: upload.declaredSize }, 'forensic case opened');
    return caseId;
  } catch (error) {
    await removeFile(target);
    await abandon(deps, upload, partial);
    throw diskError(error);
  }
}

async function abandon(deps: ForensicDeps, upload: Upload, partial: string): Promise<void> {
  await removeFile(partial);
  await deleteUpload(deps.store.db, upload.id);
}

async function requireUpload(deps: ForensicDeps, customerId: number, id: string): Promise<Upload> {
  const upload = await findUpload(deps.store.db, customerId, id);
  if (upload === null) throw notFound('forensic upload');
  return upload;
}

/** The type a product's heartbeats reported; null while none has. */
async function productType(deps: ForensicDeps, productId: number): Promise<string | null> {
  const product = await deps.store.db
    .selectFrom('registeredProducts')
    .select('type')
    .where('id', '=', productId)
    .executeTakeFirstOrThrow();
  return product.type;
}

async function guidOf(deps: ForensicDeps, productId: number): Promise<string> {
  const product = await deps.store.db
    .selectFrom('registeredProducts')
    .select('guid')
    .where('id', '=', productId)
    .executeTakeFirstOrThrow();
  return product.guid;
}

function uploadLog(deps: ForensicDeps, upload: Upload, guid: string): Logger {
  return deps.logger.child({
    customerId: upload.customerId,
    productId: upload.productId,
    guid,
    upload: upload.id,
  });
}
