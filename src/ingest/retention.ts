import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { startPeriodic, type PeriodicRun, type PeriodicTiming } from '../shared/periodic.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { retireRawFiles } from './raw-file-retention.js';
import type { SummaryDimension } from './summaries.js';

export type RetentionPolicy = Config['retention'];

export interface PurgeDeps {
  store: Store;
  areasDir: string;
  clock: Clock;
  logger: Logger;
  policy: RetentionPolicy;
  /** Asked between chunks: a stopping server lets the chunk in hand commit, then ends. */
  stopping?: () => boolean;
  /** Rows per chunk; PURGE_CHUNK_ROWS unless a test wants many chunks of few rows. */
  chunkRows?: number;
}

/** What one purge removed. */
export interface PurgeReport {
  detections: number;
  otherEvents: number;
  quarantined: number;
  summaries: number;
  incidents: number;
  rawFiles: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Rows per transaction: small enough that ingestion never waits long for the write lock. */
export const PURGE_CHUNK_ROWS = 5_000;

type LogTable = 'detections' | 'otherEvents' | 'quarantinedLines';
type CountColumn = 'detections' | 'otherEvents' | 'quarantined';

const LOG_KINDS: ReadonlyArray<{
  table: LogTable;
  column: CountColumn;
  days: keyof RetentionPolicy;
}> = [
  { table: 'detections', column: 'detections', days: 'detectionsDays' },
  { table: 'otherEvents', column: 'otherEvents', days: 'otherEventsDays' },
  { table: 'quarantinedLines', column: 'quarantined', days: 'quarantineDays' },
];

// A record, not a list, so that a dimension added to summaries.ts fails to compile here.
const SUMMARY_DIMENSIONS: Record<SummaryDimension, true> = {
  kind: true,
  severity: true,
  threat: true,
  host: true,
  protocol: true,
  direction: true,
  detectionType: true,
  application: true,
  urlCategory: true,
};

/**
 * Removes what is older than the retention policy: log rows by receive time, summaries whose
 * hour ended before the cutoff, incidents by their last detection, and received files on disk
 * once ingestion is done with them. Safe to run on several log servers at once.
 */
export async function purgeExpired(deps: PurgeDeps): Promise<PurgeReport> {
  const now = deps.clock.now().getTime();
  const cutoff = (days: keyof RetentionPolicy): number => now - deps.policy[days] * DAY_MS;
  const report: PurgeReport = {
    detections: 0,
    otherEvents: 0,
    quarantined: 0,
    summaries: 0,
    incidents: 0,
    rawFiles: 0,
  };
  for (const kind of LOG_KINDS) {
    report[kind.column] = await purgeLogRows(deps, kind.table, kind.column, cutoff(kind.days));
  }
  const customers = await deps.store.db.selectFrom('customerAccounts').select('id').execute();
  for (const { id } of customers) {
    report.summaries += await purgeSummaries(deps, id, cutoff('summariesDays'));
    report.incidents += await purgeIncidents(deps, id, cutoff('incidentsDays'));
  }
  report.rawFiles = await retireRawFiles(deps, cutoff('rawFilesDays'));
  deps.logger.info({ ...report }, 'retention purge done');
  return report;
}

export type PurgeTiming = PeriodicTiming;
export type PurgeSchedule = PeriodicRun;

/** Purges now and then in the background; a failed run is logged and tried again later. */
export function startPurgeSchedule(deps: PurgeDeps, timing: PurgeTiming): PurgeSchedule {
  return startPeriodic(
    (isStopping) => purgeExpired({ ...deps, stopping: isStopping }),
    timing,
    deps.logger,
    'retention purge failed; trying later',
  );
}

function stopping(deps: PurgeDeps): boolean {
  return deps.stopping?.() === true;
}

/**
 * Deletes one kind of log row received before the cutoff, chunk by chunk, moving each row's
 * count to `purged` in the same transaction, so that received = stored + purged always holds.
 * The sweep spans customer accounts on purpose: only the receive-time index can find old
 * rows cheaply, and no row it reads leaves the store; counts move per account and product.
 */
async function purgeLogRows(
  deps: PurgeDeps,
  table: LogTable,
  column: CountColumn,
  cutoff: number,
): Promise<number> {
  return inChunks(deps, () =>
    inTransaction(deps.store, async (db) => {
      const oldest = db
        .selectFrom(table)
        .select('id')
        .where('receiveTime', '<', cutoff)
        .orderBy('receiveTime')
        .limit(chunkRows(deps));
      const gone = await db
        .deleteFrom(table)
        .where('id', 'in', oldest)
        .returning(['customerId', 'productId'])
        .execute();
      await movePurgedCounts(db, column, gone);
      return gone.length;
    }),
  );
}

function chunkRows(deps: PurgeDeps): number {
  return deps.chunkRows ?? PURGE_CHUNK_ROWS;
}

interface Owner {
  customerId: number;
  productId: number;
}

async function movePurgedCounts(db: Db, column: CountColumn, rows: readonly Owner[]) {
  const byCustomer = new Map<number, number>();
  const byProduct = new Map<number, Owner & { count: number }>();
  for (const row of rows) {
    byCustomer.set(row.customerId, (byCustomer.get(row.customerId) ?? 0) + 1);
    const product = byProduct.get(row.productId) ?? { ...row, count: 0 };
    product.count += 1;
    byProduct.set(row.productId, product);
  }
  // In id order, so that two purgers on PostgreSQL lock counter rows in the same order.
  for (const [customerId, count] of [...byCustomer].sort(([a], [b]) => a - b)) {
    await db
      .updateTable('customerCounters')
      .set((eb) => ({ [column]: eb(column, '-', count), purged: eb('purged', '+', count) }))
      .where('customerId', '=', customerId)
      .execute();
  }
  const products = [...byProduct.values()].sort((a, b) => a.productId - b.productId);
  for (const { productId, customerId, count } of products) {
    await db
      .updateTable('productCounters')
      .set((eb) => ({ [column]: eb(column, '-', count), purged: eb('purged', '+', count) }))
      .where('productId', '=', productId)
      .where('customerId', '=', customerId)
      .execute();
  }
}

/** Summaries of hours that ended before the cutoff, found through their unique key's index. */
async function purgeSummaries(deps: PurgeDeps, customerId: number, cutoff: number) {
  const lastHour = cutoff - HOUR_MS;
  let total = 0;
  for (const dimension of Object.keys(SUMMARY_DIMENSIONS)) {
    // One statement per chunk, and nothing else changes with it: no transaction is needed.
    total += await inChunks(deps, async () => {
      const db = deps.store.db;
      const old = db
        .selectFrom('hourlySummaries')
        .select('id')
        .where('customerId', '=', customerId)
        .where('dimension', '=', dimension)
        .where('hour', '<=', lastHour)
        .limit(chunkRows(deps));
      const result = await db
        .deleteFrom('hourlySummaries')
        .where('id', 'in', old)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
  return total;
}

/**
 * An incident ends with its last detection; first_seen bounds it too and is indexed. The
 * account's incident count (the incidents it holds) drops in the same transaction.
 */
async function purgeIncidents(deps: PurgeDeps, customerId: number, cutoff: number) {
  return inChunks(deps, () =>
    inTransaction(deps.store, async (db) => {
      const old = db
        .selectFrom('incidents')
        .select('id')
        .where('customerId', '=', customerId)
        .where('firstSeen', '<', cutoff)
        .where('lastSeen', '<', cutoff)
        .limit(chunkRows(deps));
      const result = await db.deleteFrom('incidents').where('id', 'in', old).executeTakeFirst();
      const removed = Number(result.numDeletedRows);
      if (removed > 0) {
        await db
          .updateTable('customerCounters')
          .set((eb) => ({ incidents: eb('incidents', '-', removed) }))
          .where('customerId', '=', customerId)
          .execute();
      }
      return removed;
    }),
  );
}

async function inChunks(deps: PurgeDeps, deleteChunk: () => Promise<number>): Promise<number> {
  let total = 0;
  while (!stopping(deps)) {
    const removed = await deleteChunk();
    total += removed;
    if (removed < chunkRows(deps)) break;
  }
  return total;
}
