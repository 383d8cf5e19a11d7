import { randomBytes } from 'node:crypto';
import { link, mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { PushDeps, PushedFile } from '../logserver/pushes.js';
import { recordReceivedFile } from '../logserver/received-files.js';
import { receivedFilePath } from '../shared/area-layout.js';
import type { Clock } from '../shared/clock.js';
import { syncDirectory } from '../shared/files.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { openCase } from './cases.js';
import { packageDirectory, packageFile, removeFile } from './package-files.js';

/** The folder of a push to the status server's SSH door whose files are forensic packages. */
export const FORENSICS_FOLDER = 'forensics';

export interface PushedPackageDeps {
  store: Store;
  clock: Clock;
  areasDir: string;
  logger: Logger;
  /** forensics.maxBytes: a larger pushed package opens no case. */
  maxBytes: number;
}

/**
 * How the status server's SSH door records what a push stored (PROTOCOLS.md §3): a `.zip`
 * pushed to `<GUID>/forensics/[<endpoint>/]<package>.zip` opens a case; anything else is a log
 * file, exactly as at the log server. rsync has verified, synced and renamed the file by then.
 * The case keeps a link of its own to the package, so that a later push of the same name, which
 * rsync renames over the pushed path, never changes what an earlier case holds.
 */
export function pushedPackageRecorder(
  deps: PushedPackageDeps,
): (file: PushedFile) => Promise<void> {
  return async (file) => {
    const [folder, ...rest] = file.name.split('/');
    if (folder !== FORENSICS_FOLDER || rest.length === 0) {
      await recordReceivedFile(deps.store, file, deps.clock);
      return;
    }
    const fileName = rest[rest.length - 1] ?? file.name;
    const log = deps.logger.child({ customerId: file.customerId, guid: file.guid, fileName });
    if (!PACKAGE_NAME.test(fileName) || file.size > deps.maxBytes) {
      log.warn({ size: file.size, limit: deps.maxBytes }, 'pushed file is no forensic package');
      return;
    }
    const pushed = receivedFilePath(deps.areasDir, file.customerId, file.guid, file.name);
    const kept = await keptCopy(deps.areasDir, file, pushed);
    const received = {
      ...file,
      endpoint: rest.length > 1 ? (rest[0] ?? '') : endpointOf(fileName),
      fileName,
      filePath: path.relative(deps.areasDir, kept),
      uploadId: null,
    };
    const now = deps.clock.now().getTime();
    try {
      const caseId = await inTransaction(deps.store, (db) => openCase(db, received, now));
      log.info({ productId: file.productId, caseId }, 'forensic case opened from a push');
    } catch (error) {
      await removeFile(kept);
      throw error;
    }
  };
}

/** Forensic packages are encrypted zip files (PRODUCT.md). */
const PACKAGE_NAME = /\.zip$/i;

/** A hard link of the pushed package under the case store, named as no other package is. */
async function keptCopy(areasDir: string, file: PushedFile, pushed: string): Promise<string> {
  const directory = packageDirectory(areasDir, file.customerId, file.guid);
  await mkdir(directory, { recursive: true, mode: 0o750 });
  const kept = packageFile(directory, randomBytes(16).toString('hex'));
  await link(pushed, kept);
  await syncDirectory(directory);
  return kept;
}

/** A package straight under forensics/ is named after its endpoint: `wks-042.zip`. */
function endpointOf(fileName: string): string {
  return fileName.replace(/\.zip$/i, '');
}

/** The push dependencies of the status server's SSH door: a door's, taking packages too. */
export function withForensicPackages(deps: PushDeps, logger: Logger, maxBytes: number): PushDeps {
  return { ...deps, recordStored: pushedPackageRecorder({ ...deps, logger, maxBytes }) };
}
