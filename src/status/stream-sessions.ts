import type { Db } from '../storage/database.js';

// Bounds the parameters of one query.
const CHUNK = 1_000;

/**
 * Which of the sessions (by token hash) are still live: not ended, not expired, of an account
 * still active. An event stream outlives the request that opened it, so it is checked again.
 */
export async function liveSessions(
  db: Db,
  tokenHashes: readonly string[],
  now: Date,
): Promise<Set<string>> {
  const live = new Set<string>();
  for (let start = 0; start < tokenHashes.length; start += CHUNK) {
    const rows = await db
      .selectFrom('applianceSessions as session')
      .innerJoin('customerAccounts as customer', 'customer.id', 'session.customerId')
      .select('session.tokenHash')
      .where('session.tokenHash', 'in', tokenHashes.slice(start, start + CHUNK))
      .where('session.expiresAt', '>', now.getTime())
      .where('customer.status', '=', 'active')
      .execute();
    for (const row of rows) live.add(row.tokenHash);
  }
  return live;
}
