import type { Db } from '../storage/database.js';

/** A deployment an appliance still has to act on: not confirmed, not given up, not retired. */
export interface PendingPattern {
  deploymentId: number;
  productId: number;
  /** Changes with every notification, so that a stream tells a re-issue as new. */
  attempts: number;
  patternId: number;
  version: string;
  size: number;
  sha256: string;
}

// Bounds the parameters of one query; PostgreSQL allows 65535, SQLite 32766.
const CHUNK = 1_000;

/** The pending deployments of the given appliances, oldest pattern first. */
export async function pendingPatterns(
  db: Db,
  productIds: readonly number[],
): Promise<PendingPattern[]> {
  const pending: PendingPattern[] = [];
  for (let start = 0; start < productIds.length; start += CHUNK) {
    pending.push(...(await pendingChunk(db, productIds.slice(start, start + CHUNK))));
  }
  return pending;
}

function pendingChunk(db: Db, productIds: readonly number[]): Promise<PendingPattern[]> {
  return db
    .selectFrom('patternDeployments as deployment')
    .innerJoin('patterns as pattern', 'pattern.id', 'deployment.patternId')
    .select([
      'deployment.id as deploymentId',
      'deployment.productId',
      'deployment.attempts',
      'pattern.id as patternId',
      'pattern.version',
      'pattern.size',
      'pattern.sha256',
    ])
    .where('deployment.productId', 'in', productIds)
    .where('pattern.retiredAt', 'is', null)
    .where((where) =>
      where.or([
        where('deployment.state', 'in', ['notified', 'downloaded']),
        where.and([where('deployment.state', '=', 'failed'), where('deployment.retrying', '=', 1)]),
      ]),
    )
    .orderBy('pattern.id')
    .execute();
}
