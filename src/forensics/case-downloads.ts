import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

import { recordAudit } from '../audit/audit-log.js';
import { notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { CaseState } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { findCase, type CaseSummary } from './cases.js';

/** The states a first download of the sample moves a case on from (PRODUCT.md). */
const BEFORE_DOWNLOAD: readonly CaseState[] = ['new case received', 'administrator notified'];

export interface CaseDownload {
  case: CaseSummary;
  file: FileHandle;
}

/**
 * Opens a case's package for an administrator: the file is opened first, so that a download
 * is audited only when there is something to send; the audit entry and the case's move to
 * "threat sample downloaded" commit together.
 */
export async function openCaseDownload(
  deps: { store: Store; areasDir: string },
  customerId: number,
  caseId: number,
  actor: { name: string; source: string },
  at: Date,
): Promise<CaseDownload> {
  const found = await findCase(deps.store.db, customerId, caseId);
  if (found === null) throw notFound('case');
  const file = await open(path.join(deps.areasDir, found.filePath), 'r').catch(() => null);
  if (file === null) throw notFound('forensic data of the case');
  try {
    await inTransaction(deps.store, async (db) => {
      await recordAudit(db, at, {
        actor: actor.name,
        source: actor.source,
        action: 'case.download',
        target: String(caseId),
        customerId,
        result: 'success',
        detail: { guid: found.guid, fileName: found.fileName, size: found.size },
      });
      await markDownloaded(db, caseId, at.getTime());
    });
  } catch (error) {
    await file.close();
    throw error;
  }
  return { case: found, file };
}

async function markDownloaded(db: Db, caseId: number, now: number): Promise<void> {
  await db
    .updateTable('forensicCases')
    .set({ status: 'threat sample downloaded', updatedAt: now })
    .where('id', '=', caseId)
    .where('status', 'in', BEFORE_DOWNLOAD)
    .execute();
}
