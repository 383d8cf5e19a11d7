import { setTimeout as sleep } from 'node:timers/promises';

import { judgeProduct, productsToJudge, type OnlineChange } from '../products/online-changes.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { heartbeatIntervalSeconds } from './api-context.js';

export interface SweeperDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  heartbeatTimeoutSeconds: number;
}

export interface SweepTiming {
  firstDelayMs: number;
  intervalMs: number;
}

/**
 * C37: a sweep at least every fifth of the timeout, so that a lost heartbeat is recorded within
 * 1.2 times the timeout, never twice it. The first waits one heartbeat interval: appliances that
 * kept running while this server was down report first, and are not recorded as lost.
 */
export function sweepTiming(heartbeatTimeoutSeconds: number): SweepTiming {
  return {
    firstDelayMs: heartbeatIntervalSeconds(heartbeatTimeoutSeconds) * 1000,
    intervalMs: (heartbeatTimeoutSeconds * 1000) / 5,
  };
}

/**
 * Records every product that went offline (`heartbeat.lost`) or came back
 * (`heartbeat.recovered`) since its latest appliance event, once per change, as of the clock's
 * now. Returns the changes this call recorded.
 */
export async function sweepHeartbeats(deps: SweeperDeps): Promise<OnlineChange[]> {
  const now = deps.clock.now();
  const timeoutMs = deps.heartbeatTimeoutSeconds * 1000;
  const recorded: OnlineChange[] = [];
  for (const productId of await productsToJudge(deps.store.db, now, timeoutMs)) {
    const judged = await judgeProduct(deps.store, productId, now, timeoutMs);
    if (judged === null) continue;
    const { product, change } = judged;
    deps.logger.info(
      { customerId: product.customerId, productId, guid: product.guid, at: change.at },
      change.kind,
    );
    recorded.push(change);
  }
  return recorded;
}

export interface HeartbeatSweeper {
  /** Lets a sweep in hand finish, then ends. */
  stop(): Promise<void>;
}

export function startHeartbeatSweeper(deps: SweeperDeps, timing: SweepTiming): HeartbeatSweeper {
  const controller = new AbortController();
  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
  const loop = async (): Promise<void> => {
    await pause(timing.firstDelayMs);
    while (!controller.signal.aborted) {
      try {
        await sweepHeartbeats(deps);
      } catch (error) {
        deps.logger.error({ err: describeError(error) }, 'heartbeat sweep failed; will retry');
      }
      await pause(timing.intervalMs);
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
