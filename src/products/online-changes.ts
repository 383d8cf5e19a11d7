import type { Db, Store } from '../storage/database.js';
import type { OnlineState, RegisteredProduct } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { isOnline, offlineSince } from './registered-products.js';

export const HEARTBEAT_LOST = 'heartbeat.lost';
export const HEARTBEAT_RECOVERED = 'heartbeat.recovered';

/** A change between online and offline, as an appliance event records it. */
export interface OnlineChange {
  kind: typeof HEARTBEAT_LOST | typeof HEARTBEAT_RECOVERED;
  from: OnlineState;
  to: OnlineState;
  /** When it happened (server clock), which may be before anyone noticed. */
  at: number;
  detail: Record<string, string | number>;
}

/**
 * The change a product made since its latest appliance event, judged by isOnline at `now`, or
 * null when it is still in the state that event recorded.
 */
export function onlineChange(
  product: RegisteredProduct,
  lastEventState: OnlineState,
  now: Date,
  heartbeatTimeoutMs: number,
): OnlineChange | null {
  const online = isOnline(product, now, heartbeatTimeoutMs);
  if (online === (lastEventState === 'online')) return null;
  return online ? recovered(product, now) : lost(product, now, heartbeatTimeoutMs);
}

function recovered(product: RegisteredProduct, now: Date): OnlineChange {
  const at = product.lastHeartbeatAt ?? now.getTime();
  const detail = { guid: product.guid, lastHeartbeat: iso(at), detectedAt: iso(now.getTime()) };
  return { kind: HEARTBEAT_RECOVERED, from: 'offline', to: 'online', at, detail };
}

function lost(product: RegisteredProduct, now: Date, heartbeatTimeoutMs: number): OnlineChange {
  const last = product.lastHeartbeatAt ?? now.getTime();
  const announced = product.offlineAnnouncedAt !== null && product.offlineAnnouncedAt >= last;
  const detail = {
    guid: product.guid,
    reason: announced ? 'going-offline' : 'timeout',
    lastHeartbeat: iso(last),
    detectedAt: iso(now.getTime()),
    ...(announced ? {} : { timeoutSeconds: heartbeatTimeoutMs / 1000 }),
  };
  const at = offlineSince(product, heartbeatTimeoutMs) ?? now.getTime();
  return { kind: HEARTBEAT_LOST, from: 'online', to: 'offline', at, detail };
}

/**
 * Records the change as an appliance event, once: the state moves by one conditional update,
 * and only the writer that moved it adds the event, so several status servers (or a restart)
 * noticing the same change record it once. Call inside the transaction that holds the
 * product's row. Returns whether this call recorded it.
 */
export async function recordOnlineChange(
  db: Db,
  product: RegisteredProduct,
  change: OnlineChange,
): Promise<boolean> {
  const moved = await db
    .updateTable('productHeartbeats')
    .set({ lastEventState: change.to })
    .where('productId', '=', product.id)
    .where('lastEventState', '=', change.from)
    .executeTakeFirst();
  if (moved.numUpdatedRows === 0n) return false;

  await db
    .insertInto('applianceEvents')
    .values({
      customerId: product.customerId,
      productId: product.id,
      kind: change.kind,
      at: change.at,
      detail: JSON.stringify(change.detail),
    })
    .execute();
  return true;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * The products whose online state may differ from what their latest event recorded: a superset
 * narrowed by SQL, so that a sweep reads few rows; onlineChange decides.
 */
export async function productsToJudge(
  db: Db,
  now: Date,
  heartbeatTimeoutMs: number,
): Promise<number[]> {
  const cutoff = now.getTime() - heartbeatTimeoutMs;
  const rows = await db
    .selectFrom('registeredProducts as product')
    .innerJoin('productHeartbeats as heartbeat', 'heartbeat.productId', 'product.id')
    .select('product.id')
    .where((where) =>
      where.or([
        where.and([
          where('heartbeat.lastEventState', '=', 'online'),
          where.or([
            where('product.lastHeartbeatAt', '<', cutoff),
            where('product.offlineAnnouncedAt', 'is not', null),
          ]),
        ]),
        where.and([
          where('heartbeat.lastEventState', '=', 'offline'),
          where('product.lastHeartbeatAt', '>=', cutoff),
          where('product.offlineAnnouncedAt', 'is', null),
        ]),
      ]),
    )
    .orderBy('product.id')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Judges one product now and records its change, if any, in one transaction that holds its
 * row, so that a heartbeat arriving meanwhile is judged before or after, never half-way.
 */
export async function judgeProduct(
  store: Store,
  productId: number,
  now: Date,
  heartbeatTimeoutMs: number,
): Promise<{ product: RegisteredProduct; change: OnlineChange } | null> {
  return inTransaction(store, async (db) => {
    const product = await lockProduct(store, db, productId);
    const state = await db
      .selectFrom('productHeartbeats')
      .select('lastEventState')
      .where('productId', '=', productId)
      .executeTakeFirst();
    if (product === undefined || state === undefined) return null;
    const change = onlineChange(product, state.lastEventState, now, heartbeatTimeoutMs);
    if (change === null || !(await recordOnlineChange(db, product, change))) return null;
    return { product, change };
  });
}

/** Reads a product's row; PostgreSQL locks it until the transaction ends (SQLite's is whole). */
export async function lockProduct(
  store: Store,
  db: Db,
  productId: number,
): Promise<RegisteredProduct | undefined> {
  const query = db.selectFrom('registeredProducts').selectAll().where('id', '=', productId);
  return (store.engine === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
}
