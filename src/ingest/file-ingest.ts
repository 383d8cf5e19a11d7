import { open, type FileHandle } from 'node:fs/promises';

import { receivedFilePath } from '../shared/area-layout.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { commitBatch, type Cursor } from './commit.js';
import { ingestFrame, type IngestedLine, type LineSource } from './lines.js';
import { detectFileFormat, type LineFormat } from './parsers/detect-format.js';
import { detectFraming, Framer, type Frame, type Framing } from './parsers/framing.js';
import { hashFilePrefix, PrefixHasher } from './prefix-hash.js';
import { earlierCursor, type PendingVersion } from './versions.js';

export interface IngestSettings {
  maxLineBytes: number;
  /** Lines per transaction. */
  batchLines: number;
  /** How long a file's last version must stand before a final line without LF is read. */
  settleMs: number;
  incidentWindowMs: number;
}

export interface IngestDeps {
  store: Store;
  areasDir: string;
  clock: Clock;
  logger: Logger;
  settings: IngestSettings;
  /** Where reading of held versions stopped, so that a later pass does not hash again. */
  resumes: Map<number, ResumePoint>;
}

export interface ResumePoint {
  cursor: Cursor;
  hasher: PrefixHasher;
  framing: Framing | undefined;
  fileFormat: LineFormat;
}

export type VersionResult =
  { state: 'done'; lines: number } | { state: 'held'; lines: number; until: number };

const READ_SIZE = 1024 * 1024;
const HEAD_BYTES = 16;
const VOTING_LINES = 20;

/**
 * Reads one file version from where ingestion of its file stopped to its end, committing
 * every batchLines lines together with the new cursor. A version whose start differs from what
 * was read before (a rotated, truncated or rewritten file) is read from its first byte.
 */
export async function ingestVersion(
  deps: IngestDeps,
  version: PendingVersion,
): Promise<VersionResult> {
  const file = receivedFilePath(deps.areasDir, version.customerId, version.guid, version.name);
  const handle = await openIfPresent(file);
  if (handle === null) return finishMissing(deps, version);
  try {
    return await readVersion(deps, version, handle);
  } finally {
    await handle.close();
  }
}

async function openIfPresent(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The file is gone (removed by hand, or its raw-file retention ran): nothing more to read. */
async function finishMissing(deps: IngestDeps, version: PendingVersion): Promise<VersionResult> {
  deps.logger.warn(
    { customerId: version.customerId, productId: version.productId, file: version.name },
    'received file is gone before it was read',
  );
  await commitBatch(deps.store, {
    ...batchBase(deps, version),
    expected: version.cursor,
    next: version.cursor,
    lines: [],
    outcome: 'missing',
  });
  return { state: 'done', lines: 0 };
}

interface Start {
  offset: number;
  hasher: PrefixHasher;
  framing: Framing | undefined;
  fileFormat: LineFormat | null;
  replaced: boolean;
}

async function startingPoint(
  deps: IngestDeps,
  version: PendingVersion,
  handle: FileHandle,
): Promise<Start> {
  const resume = deps.resumes.get(version.id);
  deps.resumes.delete(version.id);
  if (resume !== undefined && sameCursor(resume.cursor, version.cursor)) {
    const { cursor, hasher, framing, fileFormat } = resume;
    return { offset: cursor.length, hasher, framing, fileFormat, replaced: false };
  }

  const base =
    version.cursor.sha256 !== null ? version.cursor : await earlierCursor(deps.store.db, version);
  if (base.length > 0 && base.sha256 !== null) {
    const prefix = await hashFilePrefix(handle, base.length);
    if (prefix !== null && prefix.digest === base.sha256) {
      const framing = detectFraming(await readHead(handle));
      return {
        offset: base.length,
        hasher: prefix.hasher,
        framing,
        fileFormat: null,
        replaced: false,
      };
    }
  }
  const replaced = base.length > 0;
  return { offset: 0, hasher: new PrefixHasher(), framing: undefined, fileFormat: null, replaced };
}

function sameCursor(a: Cursor, b: Cursor): boolean {
  return a.length === b.length && a.sha256 === b.sha256;
}

async function readHead(handle: FileHandle): Promise<Uint8Array> {
  const head = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
  return head.subarray(0, bytesRead);
}

async function readVersion(
  deps: IngestDeps,
  version: PendingVersion,
  handle: FileHandle,
): Promise<VersionResult> {
  const start = await startingPoint(deps, version, handle);
  if (start.replaced) {
    deps.logger.info(
      { customerId: version.customerId, productId: version.productId, file: version.name },
      'received file does not continue what was read of it: reading it from the start',
    );
  }
  const reader = new VersionReader(deps, version, start);
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  let position = start.offset;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    await reader.push(Buffer.from(buffer.subarray(0, bytesRead)));
  }
  return reader.finish();
}

/** Turns the bytes of one version into committed batches. */
class VersionReader {
  readonly #framer: Framer;
  #fileFormat: LineFormat | null;
  #lines: IngestedLine[] = [];
  #cursor: Cursor;
  #total = 0;
  readonly #source: LineSource;

  constructor(
    private readonly deps: IngestDeps,
    private readonly version: PendingVersion,
    private readonly start: Start,
  ) {
    this.#framer = new Framer({
      maxFrameBytes: deps.settings.maxLineBytes,
      framing: start.framing,
      startOffset: start.offset,
    });
    this.#fileFormat = start.fileFormat;
    this.#cursor = version.cursor;
    this.#source = {
      customerId: version.customerId,
      productId: version.productId,
      receivedFileId: version.id,
      receiveTime: new Date(version.receivedAt),
      timeZone: version.timeZone,
      fileFormat: 'unknown',
    };
  }

  async push(chunk: Buffer): Promise<void> {
    this.start.hasher.append(chunk);
    this.#take(this.#framer.push(chunk));
    if (this.#lines.length >= this.deps.settings.batchLines) await this.#commit(null);
  }

  async finish(): Promise<VersionResult> {
    const now = this.deps.clock.now().getTime();
    const settled = now - this.version.receivedAt >= this.deps.settings.settleMs;
    const end = this.#framer.finish({ fileComplete: settled });
    this.#take(end.frames);
    if (end.pending === null) {
      await this.#commit(this.start.replaced ? 'replaced' : 'ingested');
      return { state: 'done', lines: this.#total };
    }
    await this.#commit(null);
    this.deps.resumes.set(this.version.id, {
      cursor: this.#cursor,
      hasher: this.start.hasher.fork(),
      framing: this.#framer.framing,
      fileFormat: this.#fileFormat ?? 'unknown',
    });
    return {
      state: 'held',
      lines: this.#total,
      until: this.version.receivedAt + this.deps.settings.settleMs,
    };
  }

  #take(frames: readonly Frame[]): void {
    if (frames.length === 0) return;
    if (this.#fileFormat === null) {
      this.#fileFormat = detectFileFormat(
        frames.slice(0, VOTING_LINES).map((frame) => frame.text),
      ).format;
    }
    const source = { ...this.#source, fileFormat: this.#fileFormat };
    for (const frame of frames) this.#lines.push(ingestFrame(frame, source));
  }

  async #commit(outcome: 'ingested' | 'replaced' | null): Promise<void> {
    const consumed = this.#framer.consumed;
    const next: Cursor = { length: consumed, sha256: this.start.hasher.digestTo(consumed) };
    if (outcome === null && this.#lines.length === 0 && sameCursor(next, this.#cursor)) return;
    await commitBatch(this.deps.store, {
      ...batchBase(this.deps, this.version),
      expected: this.#cursor,
      next,
      lines: this.#lines,
      outcome,
    });
    this.#total += this.#lines.length;
    this.#lines = [];
    this.#cursor = next;
  }
}

function batchBase(deps: IngestDeps, version: PendingVersion) {
  return {
    customerId: version.customerId,
    productId: version.productId,
    receivedFileId: version.id,
    now: deps.clock.now().getTime(),
    incidentWindowMs: deps.settings.incidentWindowMs,
  };
}
