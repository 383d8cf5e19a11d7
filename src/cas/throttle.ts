import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';

export interface ThrottlePolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export interface ThrottleState {
  blocked: boolean;
  /** Attempts counted in the current window, this one included. */
  attempts: number;
  /** While blocked: until when (epoch ms), for a Retry-After. */
  lockedUntil: number | null;
}

/**
 * Logon attempts counted in the database, so that every CAS process sees the same counters.
 * An attempt is counted before its password is checked and forgiven once it succeeds: a burst
 * of parallel guesses cannot slip past the limit while the first ones are still being checked.
 * Keys name what is counted: `person:<name>`, `address:<ip>`, `appliance-address:<ip>`.
 */
export async function countAttempt(
  store: Store,
  key: string,
  policy: ThrottlePolicy,
  now: Date,
): Promise<ThrottleState> {
  const at = now.getTime();
  return inTransaction(store, async (db) => {
    // The row exists before it is read, and PostgreSQL locks it, so concurrent attempts all count.
    await db
      .insertInto('logonThrottle')
      .values({ key, failures: 0, windowStartedAt: at, lockedUntil: null })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
    const query = db.selectFrom('logonThrottle').selectAll().where('key', '=', key);
    const row = await (
      store.engine === 'postgres' ? query.forUpdate() : query
    ).executeTakeFirstOrThrow();
    if (row.lockedUntil !== null && row.lockedUntil > at)
      return { blocked: true, attempts: row.failures, lockedUntil: row.lockedUntil };

    const windowOver = at - row.windowStartedAt > policy.windowSeconds * 1000;
    const attempts = windowOver ? 1 : row.failures + 1;
    const blocked = attempts > policy.maxFailures;
    const lockedUntil = blocked ? at + policy.lockSeconds * 1000 : null;
    await db
      .updateTable('logonThrottle')
      .set({
        failures: blocked ? 0 : attempts,
        windowStartedAt: windowOver || blocked ? at : row.windowStartedAt,
        lockedUntil,
      })
      .where('key', '=', key)
      .execute();
    return { blocked, attempts, lockedUntil };
  });
}

/** Takes back one counted attempt after it succeeded (a busy NAT address is not punished). */
export async function forgiveAttempt(db: Db, key: string): Promise<void> {
  await db
    .updateTable('logonThrottle')
    .set((eb) => ({ failures: eb('failures', '-', 1) }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom('logonThrottle').where('key', '=', key).execute();
}

export const personKey = (userName: string): string => `person:${userName.toLowerCase()}`;
export const addressKey = (address: string): string => `address:${address}`;
export const applianceAddressKey = (address: string): string => `appliance-address:${address}`;
