import { parseApplianceGuid } from '../logserver/received-files.js';
import type { Clock } from '../shared/clock.js';
import { notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { PatternDeploymentTable } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { recordDeploymentFailure } from './deployment-events.js';

export type ReportedState = 'downloaded' | 'deployed' | 'failed';

/** What an appliance reports of one pattern on itself (or one of its endpoints). */
export interface DeploymentReport {
  customerId: number;
  patternId: number;
  guid: string;
  state: ReportedState;
  endpoint: string | null;
  message: string | null;
}

export interface ReportOutcome {
  productId: number;
  guid: string;
  state: PatternDeploymentTable['state'];
  /** Whether a heartbeat confirmed the version (a report alone never does, P05). */
  confirmed: boolean;
}

type Changes = Partial<Omit<PatternDeploymentTable, 'id'>>;

interface Found {
  id: number;
  productId: number;
  guid: string;
  state: PatternDeploymentTable['state'];
  attempts: number;
  downloadedAt: number | null;
  version: string;
  running: string | null;
}

/**
 * Records an appliance's report. "deployed" is confirmed only when the appliance's latest
 * heartbeat already reports the pattern's version; otherwise it stays unconfirmed until one
 * does, or the sweeper's deadline passes. A failure is recorded as an appliance event, once.
 */
export async function reportDeployment(
  deps: { store: Store; clock: Clock },
  report: DeploymentReport,
): Promise<ReportOutcome> {
  const now = deps.clock.now().getTime();
  return inTransaction(deps.store, async (db) => {
    const found = await findDeployment(db, report);
    const changes = changesFor(found, report, now);
    await db.updateTable('patternDeployments').set(changes).where('id', '=', found.id).execute();
    // One event per failure: the same failure reported again (for each endpoint, or by a
    // client that repeats itself) must not flood the notifications.
    if (report.state === 'failed' && found.state !== 'failed') {
      await recordDeploymentFailure(db, {
        customerId: report.customerId,
        productId: found.productId,
        guid: found.guid,
        patternId: report.patternId,
        version: found.version,
        reason: 'reported',
        attempts: found.attempts,
        message: changes.failure ?? '',
        at: now,
      });
    }
    const state = changes.state ?? found.state;
    return { productId: found.productId, guid: found.guid, state, confirmed: state === 'deployed' };
  });
}

function changesFor(found: Found, report: DeploymentReport, now: number): Changes {
  const endpoint = report.endpoint === null ? {} : { endpoint: report.endpoint };
  const downloadedAt = found.downloadedAt ?? now;
  switch (report.state) {
    case 'downloaded':
      if (found.state === 'deployed') return { downloadedAt, ...endpoint };
      return { state: 'downloaded', downloadedAt, retrying: 0, ...endpoint };
    case 'deployed': {
      const confirmed = found.state === 'deployed' || found.running === found.version;
      const state = confirmed ? 'deployed' : 'downloaded';
      const deployedAt = found.state === 'deployed' || !confirmed ? {} : { deployedAt: now };
      return { state, downloadedAt, reportedAt: now, retrying: 0, ...deployedAt, ...endpoint };
    }
    case 'failed':
      return {
        state: 'failed',
        failedAt: now,
        retrying: 0,
        failure: report.message ?? 'the appliance reported a failure',
        ...endpoint,
      };
  }
}

/** The deployment of the pattern on the named appliance of this account, or 404. */
async function findDeployment(db: Db, report: DeploymentReport): Promise<Found> {
  const guid = parseApplianceGuid(report.guid);
  const row = await db
    .selectFrom('patternDeployments as deployment')
    .innerJoin('registeredProducts as product', 'product.id', 'deployment.productId')
    .innerJoin('patterns as pattern', 'pattern.id', 'deployment.patternId')
    .leftJoin('productHeartbeats as heartbeat', 'heartbeat.productId', 'product.id')
    .select([
      'deployment.id',
      'deployment.productId',
      'product.guid',
      'deployment.state',
      'deployment.attempts',
      'deployment.downloadedAt',
      'pattern.version',
      'heartbeat.patternVersion as running',
    ])
    .where('deployment.patternId', '=', report.patternId)
    .where('deployment.customerId', '=', report.customerId)
    .where('product.customerId', '=', report.customerId)
    .where('product.guid', '=', guid ?? '')
    .executeTakeFirst();
  if (row === undefined) throw notFound('deployment');
  return row;
}

export interface RunningPattern {
  customerId: number;
  productId: number;
  /** The version the appliance's heartbeat says it has loaded. */
  patternVersion: string;
  at: number;
}

/**
 * A heartbeat that reports a pattern version confirms the deployments of that version on
 * that appliance: what it runs, not what it said, is what "deployed" means (P05).
 */
export async function confirmDeployments(db: Db, running: RunningPattern): Promise<number> {
  const versions = db
    .selectFrom('patterns')
    .select('id')
    .where('customerId', '=', running.customerId)
    .where('version', '=', running.patternVersion);
  const result = await db
    .updateTable('patternDeployments')
    .set({ state: 'deployed', deployedAt: running.at, retrying: 0, failure: null })
    .where('productId', '=', running.productId)
    .where('customerId', '=', running.customerId)
    .where('state', '!=', 'deployed')
    .where('patternId', 'in', versions)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
