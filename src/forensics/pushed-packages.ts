import path from 'node:path';

import type { PushDeps, PushedFile } from '../logserver/pushes.js';
import { recordReceivedFile } from '../logserver/received-files.js';
import { receivedFilePath } from '../shared/area-layout.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { openCase } from './cases.js';

/** The folder of a push to the status server's SSH door whose files are forensic packages. */
export const FORENSICS_FOLDER = 'forensics';

export interface PushedPackageDeps {
  store: Store;
  clock: Clock;
  areasDir: string;
  logger: Logger;
}

/**
 * How the status server's SSH door records what a push stored (PROTOCOLS.md §3): a file pushed
 * to `<GUID>/forensics/[<endpoint>/]<package>.zip` opens a case; anything else is a log file,
 * exactly as at the log server. rsync has verified, synced and renamed the file by then.
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
    const stored = receivedFilePath(deps.areasDir, file.customerId, file.guid, file.name);
    const received = {
      ...file,
      endpoint: rest.length > 1 ? (rest[0] ?? '') : endpointOf(fileName),
      fileName,
      filePath: path.relative(deps.areasDir, stored),
    };
    const now = deps.clock.now().getTime();
    const caseId = await inTransaction(deps.store, (db) => openCase(db, received, now));
    deps.logger.info(
      { customerId: file.customerId, productId: file.productId, guid: file.guid, caseId },
      'forensic case opened from a push',
    );
  };
}

/** A package straight under forensics/ is named after its endpoint: `wks-042.zip`. */
function endpointOf(fileName: string): string {
  return fileName.replace(/\.zip$/i, '');
}

/** The push dependencies of the status server's SSH door: a door's, taking packages too. */
export function withForensicPackages(deps: PushDeps, logger: Logger): PushDeps {
  return { ...deps, recordStored: pushedPackageRecorder({ ...deps, logger }) };
}
