import type { Db } from '../storage/database.js';
import type { CaseState } from '../storage/schema.js';

/** The appliance event notifications report when a package has opened a case. */
export const THREAT_SAMPLE_RECEIVED = 'threat_sample.received';

/** Where every case starts (PRODUCT.md's case states). */
export const NEW_CASE: CaseState = 'new case received';

/** A forensic data package complete, verified and in its final place. */
export interface NewCase {
  customerId: number;
  productId: number;
  guid: string;
  endpoint: string;
  fileName: string;
  /** Relative to the areas directory. */
  filePath: string;
  size: number;
  sha256: string;
  /** The resumable upload it came by, or null for a push. */
  uploadId: string | null;
}

export interface CaseSummary {
  id: number;
  guid: string;
  endpoint: string;
  fileName: string;
  size: number;
  sha256: string;
  status: CaseState;
  analystCaseId: string | null;
  receivedAt: number;
  updatedAt: number;
}

/**
 * Opens a case for a received package: the case row, the customer's case count and the
 * appliance event notifications read. Run inside the caller's transaction, so that the three
 * exist together or not at all; the file is already in place when this runs.
 */
export async function openCase(db: Db, received: NewCase, now: number): Promise<number> {
  const { id } = await db
    .insertInto('forensicCases')
    .values({
      customerId: received.customerId,
      productId: received.productId,
      endpoint: received.endpoint,
      fileName: received.fileName,
      filePath: received.filePath,
      size: received.size,
      sha256: received.sha256,
      receivedAt: now,
      status: NEW_CASE,
      analystCaseId: null,
      updatedAt: now,
      uploadId: received.uploadId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('customerCounters')
    .set((eb) => ({ cases: eb('cases', '+', 1) }))
    .where('customerId', '=', received.customerId)
    .execute();
  await db
    .insertInto('applianceEvents')
    .values({
      customerId: received.customerId,
      productId: received.productId,
      kind: THREAT_SAMPLE_RECEIVED,
      at: now,
      detail: JSON.stringify(eventDetail(id, received, now)),
    })
    .execute();
  return id;
}

/** What a notification shows: names and sizes, never where the file lies on disk. */
function eventDetail(caseId: number, received: NewCase, now: number): Record<string, unknown> {
  return {
    caseId,
    guid: received.guid,
    endpoint: received.endpoint,
    fileName: received.fileName,
    size: received.size,
    sha256: received.sha256,
    receivedAt: new Date(now).toISOString(),
  };
}

function caseQuery(db: Db, customerId: number) {
  return db
    .selectFrom('forensicCases as case')
    .innerJoin('registeredProducts as product', 'product.id', 'case.productId')
    .select([
      'case.id',
      'product.guid',
      'case.endpoint',
      'case.fileName',
      'case.size',
      'case.sha256',
      'case.status',
      'case.analystCaseId',
      'case.receivedAt',
      'case.updatedAt',
    ])
    .where('case.customerId', '=', customerId);
}

/** One customer account's cases, newest first. */
export async function listCases(db: Db, customerId: number): Promise<CaseSummary[]> {
  return caseQuery(db, customerId).orderBy('case.id', 'desc').execute();
}

/** A case of this customer account with where its package lies, or null. */
export async function findCase(
  db: Db,
  customerId: number,
  caseId: number,
): Promise<(CaseSummary & { filePath: string }) | null> {
  const row = await caseQuery(db, customerId)
    .select('case.filePath')
    .where('case.id', '=', caseId)
    .executeTakeFirst();
  return row ?? null;
}
