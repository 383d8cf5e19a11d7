import type { Db } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import type { Store } from '../storage/database.js';

export interface ThrottlePolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export interface ThrottleState {
  blocked: boolean;
  failures: number;
  retryAfterMs: number;
}

/**
 * Failed-logon counters kept in the database, so that every CAS process sees the same ones.
 * Keys name what is counted: `person:<name>`, `address:<ip>`, `appliance-address:<ip>`.
 */
export async function throttleState(db: Db, key: string, now: Date): Promise<ThrottleState> {
  const row = await db
    .selectFrom('logonThrottle')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirst();
  if (row === undefined) return { blocked: false, failures: 0, retryAfterMs: 0 };
  const lockedFor = (row.lockedUntil ?? 0) - now.getTime();
  return { blocked: lockedFor > 0, failures: row.failures, retryAfterMs: Math.max(0, lockedFor) };
}

export async function recordFailure(
  store: Store,
  key: string,
  policy: ThrottlePolicy,
  now: Date,
): Promise<ThrottleState> {
  const at = now.getTime();
  return inTransaction(store, async (db) => {
    // The row exists before it is read, and PostgreSQL locks it, so concurrent failures all count.
    await db
      .insertInto('logonThrottle')
      .values({ key, failures: 0, windowStartedAt: at, lockedUntil: null })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
    const query = db.selectFrom('logonThrottle').selectAll().where('key', '=', key);
    const row = await (
      store.engine === 'postgres' ? query.forUpdate() : query
    ).executeTakeFirstOrThrow();

    const windowOver = at - row.windowStartedAt > policy.windowSeconds * 1000;
    const failures = windowOver ? 1 : row.failures + 1;
    const windowStartedAt = windowOver ? at : row.windowStartedAt;
    const lockedUntil =
      failures >= policy.maxFailures ? at + policy.lockSeconds * 1000 : row.lockedUntil;
    await db
      .updateTable('logonThrottle')
      .set({ failures, windowStartedAt, lockedUntil })
      .where('key', '=', key)
      .execute();
    return {
      blocked: lockedUntil !== null && lockedUntil > at,
      failures,
      retryAfterMs: Math.max(0, (lockedUntil ?? 0) - at),
    };
  });
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom('logonThrottle').where('key', '=', key).execute();
}

export const personKey = (userName: string): string => `person:${userName.toLowerCase()}`;
export const addressKey = (address: string): string => `address:${address}`;
export const applianceAddressKey = (address: string): string => `appliance-address:${address}`;
