import type { Kysely } from 'kysely';

import type { Db, Store } from '../storage/database.js';
import type { IngestOutcome } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { clusterDetections, foldIntoIncidents } from './incidents.js';
import type { IngestedLine, NewDetection, NewOtherEvent, NewQuarantinedLine } from './lines.js';
import { insertLogRows } from './row-inserts.js';
import { addSummaries, SummaryTally } from './summaries.js';

/** What ingestion has read of one file version: the prefix length and its SHA-256. */
export interface Cursor {
  length: number;
  sha256: string | null;
}

export interface Batch {
  customerId: number;
  productId: number;
  receivedFileId: number;
  /** The row's cursor as this worker last saw it; the commit fails if it moved meanwhile. */
  expected: Cursor;
  next: Cursor;
  lines: readonly IngestedLine[];
  /** Set on the last batch of a version. */
  outcome: IngestOutcome | null;
  now: number;
  incidentWindowMs: number;
}

/** Another worker committed for the same file version first; this batch must not be stored. */
export class CursorMoved extends Error {
  constructor(receivedFileId: number) {
    super(`received file ${receivedFileId} was ingested further by another worker`);
    this.name = 'CursorMoved';
  }
}

/**
 * Stores a batch of lines and the cursor that says they were read, in one transaction: after a
 * crash either both are there or neither, so a line is never lost and never stored twice.
 */
export async function commitBatch(store: Store, batch: Batch): Promise<void> {
  await inTransaction(store, async (db) => {
    await claimCursor(db, batch);
    const split = splitLines(batch.lines);
    await insertLogRows(db as unknown as Kysely<unknown>, store, split);
    const tally = new SummaryTally();
    for (const line of batch.lines) tally.add(line);
    await addSummaries(db, tally.counts());
    const groups = clusterDetections(split.detections, batch.incidentWindowMs);
    const opened = await foldIntoIncidents(
      db,
      store.engine,
      batch.customerId,
      groups,
      batch.incidentWindowMs,
    );
    await addCounters(db, batch, split, opened);
    if (batch.outcome !== null) await finishVersion(db, batch);
  });
}

async function claimCursor(db: Db, batch: Batch): Promise<void> {
  const moved = await db
    .updateTable('receivedFiles')
    .set({
      ingestedLength: batch.next.length,
      ingestedSha256: batch.next.sha256,
      ...(batch.outcome === null ? {} : { ingestedAt: batch.now, ingestOutcome: batch.outcome }),
    })
    .where('id', '=', batch.receivedFileId)
    .where('ingestedLength', '=', batch.expected.length)
    .where((eb) =>
      batch.expected.sha256 === null
        ? eb('ingestedSha256', 'is', null)
        : eb('ingestedSha256', '=', batch.expected.sha256),
    )
    .where('ingestedAt', 'is', null)
    .executeTakeFirst();
  if (moved.numUpdatedRows !== 1n) throw new CursorMoved(batch.receivedFileId);
}

interface SplitLines {
  detections: NewDetection[];
  otherEvents: NewOtherEvent[];
  quarantined: NewQuarantinedLine[];
  warnings: number;
}

function splitLines(lines: readonly IngestedLine[]): SplitLines {
  const split: SplitLines = { detections: [], otherEvents: [], quarantined: [], warnings: 0 };
  for (const line of lines) {
    if (line.kind === 'detection') split.detections.push(line.row);
    else if (line.kind === 'other') split.otherEvents.push(line.row);
    else split.quarantined.push(line.row);
    if (line.kind !== 'quarantine' && line.warnings > 0) split.warnings += 1;
  }
  return split;
}

async function addCounters(
  db: Db,
  batch: Batch,
  split: SplitLines,
  incidentsOpened: number,
): Promise<void> {
  const added = {
    linesReceived: batch.lines.length,
    detections: split.detections.length,
    otherEvents: split.otherEvents.length,
    quarantined: split.quarantined.length,
    parseWarnings: split.warnings,
  };
  if (added.linesReceived === 0) return;

  await db
    .updateTable('customerCounters')
    .set((eb) => ({
      linesReceived: eb('linesReceived', '+', added.linesReceived),
      detections: eb('detections', '+', added.detections),
      otherEvents: eb('otherEvents', '+', added.otherEvents),
      quarantined: eb('quarantined', '+', added.quarantined),
      parseWarnings: eb('parseWarnings', '+', added.parseWarnings),
      incidents: eb('incidents', '+', incidentsOpened),
    }))
    .where('customerId', '=', batch.customerId)
    .execute();
  await db
    .insertInto('productCounters')
    .values({ productId: batch.productId, customerId: batch.customerId, ...added, purged: 0 })
    .onConflict((conflict) =>
      conflict.column('productId').doUpdateSet((eb) => ({
        linesReceived: eb('productCounters.linesReceived', '+', added.linesReceived),
        detections: eb('productCounters.detections', '+', added.detections),
        otherEvents: eb('productCounters.otherEvents', '+', added.otherEvents),
        quarantined: eb('productCounters.quarantined', '+', added.quarantined),
        parseWarnings: eb('productCounters.parseWarnings', '+', added.parseWarnings),
      })),
    )
    .execute();
}

/** Older versions of the same file still waiting were read through this one. */
async function finishVersion(db: Db, batch: Batch): Promise<void> {
  const version = await db
    .selectFrom('receivedFiles')
    .select(['productId', 'name'])
    .where('id', '=', batch.receivedFileId)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('receivedFiles')
    .set({ ingestedAt: batch.now, ingestOutcome: 'superseded' })
    .where('productId', '=', version.productId)
    .where('name', '=', version.name)
    .where('id', '<', batch.receivedFileId)
    .where('ingestedAt', 'is', null)
    .execute();
}
