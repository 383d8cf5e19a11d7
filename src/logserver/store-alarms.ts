import type { Store } from '../storage/database.js';
import { withoutWaiting } from './store-probe.js';

/** The alarm a store that refuses writes raises: one row per outage of one process. */
export const STORE_ALARM = 'store_unwritable';

export interface StoreAlarm {
  raisedAt: number;
  /** Set when the row is first written after the store recovered. */
  clearedAt: number | null;
  /** What the notification shows: which part failed, how, where it was seen. */
  detail: Record<string, unknown>;
}

/**
 * Stores the alarm row and returns its id. Run while the store may still refuse writes, so it
 * never waits for a lock; the caller tries again later when it fails.
 */
export async function storeAlarm(store: Store, alarm: StoreAlarm): Promise<number> {
  const row = await withoutWaiting(store, (db) =>
    db
      .insertInto('alarms')
      .values({
        kind: STORE_ALARM,
        raisedAt: alarm.raisedAt,
        clearedAt: alarm.clearedAt,
        detail: JSON.stringify(alarm.detail),
        customerId: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return row.id;
}

/** Marks a stored alarm cleared, with the detail as it stands at the end of the outage. */
export async function clearAlarm(
  store: Store,
  id: number,
  clearedAt: number,
  detail: Record<string, unknown>,
): Promise<void> {
  await withoutWaiting(store, (db) =>
    db
      .updateTable('alarms')
      .set({ clearedAt, detail: JSON.stringify(detail) })
      .where('id', '=', id)
      .execute(),
  );
}
