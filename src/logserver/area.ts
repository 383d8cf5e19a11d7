import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm, utimes } from 'node:fs/promises';
import path from 'node:path';

import { ExitCode, RsyncError } from '../rsync/errors.js';
import type { HeldFile, IncomingFile, ReceiveSink } from '../rsync/sink.js';
import { parallelHash } from '../shared/parallel-hash.js';
import { StoreFailure } from './store-failures.js';

/** A file that reached its area, verified and durable, for whoever records it. */
export interface StoredFile {
  name: string;
  size: number;
  sha256: string;
  mtime: number;
}

export interface AreaOptions {
  /** The appliance's area: `<areas>/<customer id>/<GUID>`. */
  root: string;
  /** Called after the rename; the client hears of the file only once this resolves. */
  onStored: (file: StoredFile) => Promise<void>;
}

/** Bytes gathered before one write to the temporary file. */
const WRITE_BATCH = 1024 * 1024;

/** The time given a stored file whose record failed: the epoch, far from any log's own time. */
const UNCONFIRMED_MTIME = 0;

/** Serialises writers of the same file in this process (concurrent pushes of one appliance). */
const fileLocks = new Map<string, Promise<void>>();

async function lockFile(key: string): Promise<() => void> {
  while (fileLocks.has(key)) await fileLocks.get(key);
  let release = (): void => undefined;
  fileLocks.set(key, new Promise<void>((resolve) => (release = resolve)));
  return () => {
    fileLocks.delete(key);
    release();
  };
}

/**
 * One appliance's area on disk: received files under `logs/`, files being written under
 * `incoming/`, interrupted ones kept under `partial/` as the basis of a resumed push. All three
 * sit on one file system, so the final rename is atomic.
 */
export class ApplianceArea implements ReceiveSink {
  private readonly logs: string;
  private readonly incoming: string;
  private readonly partial: string;

  constructor(private readonly options: AreaOptions) {
    this.logs = path.join(options.root, 'logs');
    this.incoming = path.join(options.root, 'incoming');
    this.partial = path.join(options.root, 'partial');
  }

  async prepareDirectory(name: string): Promise<void> {
    const directory = name === '.' ? this.logs : this.inside(this.logs, name);
    try {
      await mkdir(directory, { recursive: true, mode: 0o750 });
    } catch (error) {
      throw storeError(error, name);
    }
  }

  async held(name: string): Promise<HeldFile | null> {
    const partial = await openHeld(this.inside(this.partial, name));
    if (partial !== null) return partial;
    return openHeld(this.inside(this.logs, name));
  }

  async begin(name: string): Promise<IncomingFile> {
    const target = this.inside(this.logs, name);
    const release = await lockFile(target);
    try {
      await mkdir(this.incoming, { recursive: true, mode: 0o750 });
      const temporary = path.join(this.incoming, `${randomUUID()}.part`);
      const handle = await open(temporary, 'wx', 0o640);
      return new AreaFile(handle, temporary, target, this.inside(this.partial, name), {
        name,
        release,
        onStored: this.options.onStored,
      });
    } catch (error) {
      release();
      throw storeError(error, name);
    }
  }

  /**
   * The absolute path of a list name inside one of the area's folders. The file-list rules
   * already refused absolute names and `..`; this checks the resolved path once more, by
   * relative path rather than string prefix (handed case C42).
   */
  private inside(folder: string, name: string): string {
    const resolved = path.resolve(folder, name);
    const relative = path.relative(folder, resolved);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new RsyncError(`tmsp: refused file name ${JSON.stringify(name)}`, ExitCode.fileSelect);
    }
    return resolved;
  }
}

interface AreaFileContext {
  name: string;
  release: () => void;
  onStored: (file: StoredFile) => Promise<void>;
}

class AreaFile implements IncomingFile {
  private readonly hash = parallelHash('sha256');
  private size = 0;
  private finished = false;
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly temporary: string,
    private readonly target: string,
    private readonly partialPath: string,
    private readonly context: AreaFileContext,
  ) {}

  async write(data: Buffer): Promise<void> {
    await this.hash.update(data);
    this.size += data.length;
    // Tokens arrive in pieces of 32 KiB at most; one system call per piece would cost more
    // than the copy into a larger batch.
    this.pending.push(data);
    this.pendingLength += data.length;
    if (this.pendingLength >= WRITE_BATCH) await this.writePending();
  }

  private async writePending(): Promise<void> {
    if (this.pendingLength === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingLength = 0;
    try {
      await this.handle.writev(batch);
    } catch (error) {
      throw storeError(error);
    }
  }

  async commit(mtime: number): Promise<void> {
    // Asked for first: the hashing thread finishes while the file is being synced.
    const digest = this.hash.digest();
    digest.catch(() => undefined);
    try {
      await this.writePending();
      await this.handle.sync();
      await this.handle.close();
      await utimes(this.temporary, mtime, mtime);
      await mkdir(path.dirname(this.target), { recursive: true, mode: 0o750 });
      await rename(this.temporary, this.target);
      await syncDirectory(path.dirname(this.target));
      await rm(this.partialPath, { force: true });
    } catch (error) {
      await this.discard(false);
      throw storeError(error, this.context.name);
    }
    try {
      const sha256 = (await digest).toString('hex');
      await this.context.onStored({ name: this.context.name, size: this.size, sha256, mtime });
    } catch (error) {
      await this.unconfirmed();
      throw error;
    } finally {
      this.finish();
    }
  }

  /**
   * The file is in place but not recorded, and the client keeps its copy. With the client's
   * time on it, the next push's quick check (same size and time) would skip the file and it
   * would never be recorded; a time the client's copy does not have makes that push send it.
   */
  private async unconfirmed(): Promise<void> {
    await utimes(this.target, UNCONFIRMED_MTIME, UNCONFIRMED_MTIME).catch(() => undefined);
  }

  async discard(keepPartial: boolean): Promise<void> {
    if (this.finished) return;
    this.hash.discard();
    try {
      // What arrived is worth keeping as a resume basis even if the last batch cannot be written.
      if (keepPartial) await this.writePending().catch(() => undefined);
      await this.handle.close().catch(() => undefined);
      if (keepPartial && this.size > 0) {
        await mkdir(path.dirname(this.partialPath), { recursive: true, mode: 0o750 });
        await rename(this.temporary, this.partialPath);
      } else {
        await rm(this.temporary, { force: true });
      }
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.context.release();
  }
}

async function openHeld(file: string): Promise<HeldFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return null;
  }
  return {
    size: stat.size,
    mtime: Math.floor(stat.mtimeMs / 1000),
    read: async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The area already holds a file where a directory is needed, or the other way round. */
const CONFLICTS = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY']);

/**
 * A store that cannot take the file: the client keeps its copy and hears why (C45, C46). A
 * clash with what is stored is the client's to resolve; anything else is the disk's failure.
 */
function storeError(error: unknown, name?: string): RsyncError {
  if (error instanceof RsyncError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (name !== undefined && code !== undefined && CONFLICTS.has(code)) {
    // Pushing again would fail the same way: say which name clashes, not "try later".
    return new RsyncError(
      `tmsp: ${JSON.stringify(name)} clashes with a file or directory already stored; ` +
        'rename it on the appliance',
      ExitCode.fileSelect,
    );
  }
  const reason =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the log store is full'
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? 'the log store refuses writes'
        : 'the log store failed';
  return new StoreFailure('disk', `tmsp: ${reason}; keep the files and push again later`, error);
}
