import type { Db } from '../storage/database.js';
import type { DeploymentState } from '../storage/schema.js';

/**
 * What the console shows per appliance. `unconfirmed`: the appliance said it deployed the
 * pattern but its heartbeats report another version (P05); `failed-retrying`: not confirmed in
 * time and notified again; `failed`: the appliance reported a failure (re-issue to retry).
 */
export type DeploymentStatus =
  'notified' | 'downloaded' | 'unconfirmed' | 'deployed' | 'failed' | 'failed-retrying';

export interface DeploymentView {
  patternId: number;
  guid: string;
  hostName: string | null;
  status: DeploymentStatus;
  attempts: number;
  notifiedAt: string;
  downloadedAt: string | null;
  reportedAt: string | null;
  deployedAt: string | null;
  failedAt: string | null;
  failure: string | null;
  endpoint: string | null;
  /** What the appliance's latest heartbeat says it runs. */
  runningVersion: string | null;
}

interface StatusFacts {
  state: DeploymentState;
  retrying: number;
  reportedAt: number | null;
}

export function deploymentStatus(facts: StatusFacts): DeploymentStatus {
  switch (facts.state) {
    case 'failed':
      return facts.retrying === 1 ? 'failed-retrying' : 'failed';
    case 'downloaded':
      return facts.reportedAt === null ? 'downloaded' : 'unconfirmed';
    case 'notified':
    case 'deployed':
      return facts.state;
  }
}

/** Every appliance's deployment of one pattern of the account, by appliance. */
export async function listDeployments(
  db: Db,
  customerId: number,
  patternId: number,
): Promise<DeploymentView[]> {
  const rows = await db
    .selectFrom('patternDeployments as deployment')
    .innerJoin('registeredProducts as product', 'product.id', 'deployment.productId')
    .leftJoin('productHeartbeats as heartbeat', 'heartbeat.productId', 'product.id')
    .selectAll('deployment')
    .select(['product.guid', 'product.hostName', 'heartbeat.patternVersion as runningVersion'])
    .where('deployment.customerId', '=', customerId)
    .where('deployment.patternId', '=', patternId)
    .orderBy('product.guid')
    .execute();
  return rows.map((row) => ({
    patternId: row.patternId,
    guid: row.guid,
    hostName: row.hostName,
    status: deploymentStatus(row),
    attempts: row.attempts,
    notifiedAt: iso(row.notifiedAt),
    downloadedAt: isoOrNull(row.downloadedAt),
    reportedAt: isoOrNull(row.reportedAt),
    deployedAt: isoOrNull(row.deployedAt),
    failedAt: isoOrNull(row.failedAt),
    failure: row.failure,
    endpoint: row.endpoint,
    runningVersion: row.runningVersion,
  }));
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function isoOrNull(at: number | null): string | null {
  return at === null ? null : iso(at);
}
