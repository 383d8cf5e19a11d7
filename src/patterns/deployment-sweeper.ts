import { setTimeout as sleep } from 'node:timers/promises';

import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Db, Store } from '../storage/database.js';
import type { DeploymentState } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { recordDeploymentFailure } from './deployment-events.js';
import type { PatternBus } from './pattern-bus.js';

export interface DeploymentSweepDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** patterns.confirmSeconds: a deployment not confirmed this long after its notification. */
  confirmSeconds: number;
  bus?: PatternBus | undefined;
}

export interface RetriedDeployment {
  customerId: number;
  productId: number;
  guid: string;
  patternId: number;
  attempts: number;
}

interface Overdue extends RetriedDeployment {
  id: number;
  state: DeploymentState;
  notifiedAt: number;
  version: string;
}

/**
 * Turns every deployment not confirmed in time into "failed, retrying" and notifies the
 * appliance again (P05: never a permanent "in progress"). Each is moved by one conditional
 * update, so that several status servers sweeping at once retry it once.
 */
export async function sweepDeployments(deps: DeploymentSweepDeps): Promise<RetriedDeployment[]> {
  const now = deps.clock.now().getTime();
  const overdue = await overdueDeployments(deps.store.db, now - deps.confirmSeconds * 1000);
  const retried: RetriedDeployment[] = [];
  for (const deployment of overdue) {
    if (!(await retry(deps, deployment, now))) continue;
    const { customerId, productId, guid, patternId } = deployment;
    const shown = { customerId, productId, guid, patternId, attempts: deployment.attempts + 1 };
    deps.logger.warn(shown, 'pattern deployment not confirmed; notified again');
    retried.push(shown);
  }
  deps.bus?.notify(retried.map((deployment) => deployment.productId));
  return retried;
}

function overdueDeployments(db: Db, cutoff: number): Promise<Overdue[]> {
  return db
    .selectFrom('patternDeployments as deployment')
    .innerJoin('patterns as pattern', 'pattern.id', 'deployment.patternId')
    .innerJoin('registeredProducts as product', 'product.id', 'deployment.productId')
    .select([
      'deployment.id',
      'deployment.customerId',
      'deployment.productId',
      'product.guid',
      'deployment.patternId',
      'deployment.attempts',
      'deployment.state',
      'deployment.notifiedAt',
      'pattern.version',
    ])
    .where('deployment.notifiedAt', '<=', cutoff)
    .where('pattern.retiredAt', 'is', null)
    .where((where) =>
      where.or([
        where('deployment.state', 'in', ['notified', 'downloaded']),
        where.and([where('deployment.state', '=', 'failed'), where('deployment.retrying', '=', 1)]),
      ]),
    )
    .orderBy('deployment.id')
    .execute();
}

async function retry(deps: DeploymentSweepDeps, deployment: Overdue, now: number) {
  const message = `not confirmed by a heartbeat within ${deps.confirmSeconds} s`;
  return inTransaction(deps.store, async (db) => {
    const moved = await db
      .updateTable('patternDeployments')
      .set({
        state: 'failed',
        retrying: 1,
        attempts: deployment.attempts + 1,
        notifiedAt: now,
        failedAt: now,
        failure: message,
      })
      .where('id', '=', deployment.id)
      .where('notifiedAt', '=', deployment.notifiedAt)
      .where('attempts', '=', deployment.attempts)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) return false;
    // One event per failure, not one per retry of the same failure.
    if (deployment.state !== 'failed') {
      await recordDeploymentFailure(db, {
        ...deployment,
        reason: 'timeout',
        attempts: deployment.attempts + 1,
        message,
        at: now,
      });
    }
    return true;
  });
}

export interface DeploymentSweeper {
  /** Lets a sweep in hand finish, then ends. */
  stop(): Promise<void>;
}

/** A sweep every tenth of the deadline: an overdue deployment waits at most 1.1 times it. */
export function deploymentSweepMs(confirmSeconds: number): number {
  return (confirmSeconds * 1000) / 10;
}

export function startDeploymentSweeper(
  deps: DeploymentSweepDeps,
  intervalMs: number,
): DeploymentSweeper {
  const controller = new AbortController();
  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
  const stopped = (): boolean => controller.signal.aborted;
  const loop = async (): Promise<void> => {
    while (!stopped()) {
      await pause(intervalMs);
      if (stopped()) break;
      try {
        await sweepDeployments(deps);
      } catch (error) {
        deps.logger.error({ err: describeError(error) }, 'pattern sweep failed; will retry');
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}
