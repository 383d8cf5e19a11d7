import { sql } from 'kysely';

import type { Actor } from '../accounts/customers.js';
import { confirmDeployments } from '../patterns/deployment-reports.js';
import { storeHeartbeatIn, type Heartbeat, type StoredHeartbeat } from '../products/heartbeats.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';

interface Waiting {
  heartbeat: Heartbeat;
  actor: Actor;
  resolve(stored: StoredHeartbeat): void;
  reject(error: unknown): void;
}

type Outcome = { stored: StoredHeartbeat } | { error: unknown };

export type StoreHeartbeat = (heartbeat: Heartbeat, actor: Actor) => Promise<StoredHeartbeat>;

/**
 * Group commit for heartbeats: what arrives while a write transaction runs is stored together
 * in the next one, so that a busy server pays one commit (and one fsync) per batch, not per
 * heartbeat. The first heartbeat of a quiet server is not held back by a timer: its flush runs
 * as soon as the event loop has taken in what had already arrived (setImmediate). Each caller
 * is answered only once its own heartbeat is committed; one heartbeat's failure (a product of
 * another account) is its own, undone to a savepoint, and a failed commit fails the whole batch.
 */
export function heartbeatBatcher(store: Store, heartbeatTimeoutMs: number): StoreHeartbeat {
  let queue: Waiting[] = [];
  let busy = false;

  const flush = async (): Promise<void> => {
    const batch = queue;
    queue = [];
    try {
      const outcomes = await inTransaction(store, (db) =>
        storeBatch(store, db, batch, heartbeatTimeoutMs),
      );
      batch.forEach((waiting, index) => settle(waiting, outcomes[index]));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
    if (queue.length > 0) setImmediate(() => void flush());
    else busy = false;
  };

  return (heartbeat, actor) =>
    new Promise<StoredHeartbeat>((resolve, reject) => {
      queue.push({ heartbeat, actor, resolve, reject });
      if (busy) return;
      busy = true;
      setImmediate(() => void flush());
    });
}

function settle(waiting: Waiting, outcome: Outcome | undefined): void {
  if (outcome === undefined) waiting.reject(new Error('a heartbeat of the batch was not stored'));
  else if ('stored' in outcome) waiting.resolve(outcome.stored);
  else waiting.reject(outcome.error);
}

/**
 * Stores the batch in the caller's transaction. A batch of one needs no savepoint: its failure
 * undoes the whole transaction. PostgreSQL refuses every statement after an error until the
 * transaction rolls back, which is why a failure in a larger batch goes back to its savepoint.
 */
async function storeBatch(
  store: Store,
  db: Db,
  batch: readonly Waiting[],
  heartbeatTimeoutMs: number,
): Promise<Outcome[]> {
  const storeOne = (waiting: Waiting) => storeWithPatterns(store, db, waiting, heartbeatTimeoutMs);
  const [only] = batch;
  if (batch.length === 1 && only !== undefined) return [{ stored: await storeOne(only) }];

  const outcomes: Outcome[] = [];
  for (const waiting of batch) {
    await sql`savepoint heartbeat`.execute(db);
    try {
      outcomes.push({ stored: await storeOne(waiting) });
    } catch (error) {
      await sql`rollback to savepoint heartbeat`.execute(db);
      outcomes.push({ error });
    }
    await sql`release savepoint heartbeat`.execute(db);
  }
  return outcomes;
}

/**
 * A heartbeat that reports a pattern version confirms the deployments of that version (P05),
 * in the transaction that stores it.
 */
async function storeWithPatterns(
  store: Store,
  db: Db,
  { heartbeat, actor }: Waiting,
  heartbeatTimeoutMs: number,
): Promise<StoredHeartbeat> {
  const stored = await storeHeartbeatIn(store, db, heartbeat, heartbeatTimeoutMs, actor);
  if (heartbeat.patternVersion !== null && stored.deploymentsPending) {
    await confirmDeployments(db, {
      customerId: heartbeat.customerId,
      productId: heartbeat.productId,
      patternVersion: heartbeat.patternVersion,
      at: heartbeat.receivedAt,
    });
  }
  return stored;
}
