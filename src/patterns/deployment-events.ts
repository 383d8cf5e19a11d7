import type { Db } from '../storage/database.js';

export const PATTERN_DEPLOYMENT_FAILED = 'pattern.deployment_failed';

export interface DeploymentFailure {
  customerId: number;
  productId: number;
  guid: string;
  patternId: number;
  version: string;
  /** `reported`: the appliance said so; `timeout`: no heartbeat confirmed it in time. */
  reason: 'reported' | 'timeout';
  attempts: number;
  message: string;
  at: number;
}

/**
 * Records a failed deployment as an appliance event, for the "pattern deployment failed"
 * notification. Called in the transaction that marks the deployment failed.
 */
export async function recordDeploymentFailure(db: Db, failure: DeploymentFailure): Promise<void> {
  const detail = {
    guid: failure.guid,
    patternId: failure.patternId,
    version: failure.version,
    reason: failure.reason,
    attempts: failure.attempts,
    message: failure.message,
    detectedAt: new Date(failure.at).toISOString(),
  };
  await db
    .insertInto('applianceEvents')
    .values({
      customerId: failure.customerId,
      productId: failure.productId,
      kind: PATTERN_DEPLOYMENT_FAILED,
      at: failure.at,
      detail: JSON.stringify(detail),
    })
    .execute();
}
