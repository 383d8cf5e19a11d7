import type { Actor } from '../accounts/customers.js';
import { recordAudit } from '../audit/audit-log.js';
import { notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { HeartbeatState, OnlineState, RegisteredProduct } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import {
  lockProduct,
  onlineChange,
  recordOnlineChange,
  type OnlineChange,
} from './online-changes.js';

export type ApplianceType = 'TDA' | 'TM';

/** One heartbeat of a registered product, checked by the caller. */
export interface Heartbeat {
  customerId: number;
  productId: number;
  /** The server's clock at receipt: online and offline are computed from it alone (C35). */
  receivedAt: number;
  type: ApplianceType;
  hostName: string;
  ipAddress: string;
  version: string;
  /** An IANA zone the caller has checked, or null to keep the product's. */
  timeZone: string | null;
  /** The appliance's own clock: only ever compared with ours, never used as a time. */
  applianceTime: number;
  securityCompliance: boolean | null;
  canRunMitigation: boolean | null;
  licenceExpiresAt: number | null;
  patternVersion: string | null;
  state: HeartbeatState;
}

export interface StoredHeartbeat {
  /** The appliance's clock minus the server's, in whole seconds. */
  clockSkewSeconds: number;
  /** The online changes this heartbeat recorded as appliance events. */
  changes: OnlineChange[];
}

/**
 * Stores a heartbeat on its registered product. `going-offline` makes the product offline at
 * once; any other heartbeat clears that. A change between online and offline is recorded as an
 * appliance event in the same transaction: a recovery, and a loss the sweeper had not yet seen
 * (an appliance that was away for less than one sweep).
 */
export async function storeHeartbeat(
  store: Store,
  heartbeat: Heartbeat,
  heartbeatTimeoutMs: number,
  actor: Actor,
): Promise<StoredHeartbeat> {
  const clockSkewSeconds = Math.round((heartbeat.applianceTime - heartbeat.receivedAt) / 1000);
  const now = new Date(heartbeat.receivedAt);

  return inTransaction(store, async (db) => {
    const before = await lockOwnProduct(store, db, heartbeat);
    const eventState = await lastEventState(db, heartbeat.productId);
    const changes: OnlineChange[] = [];
    const note = async (product: RegisteredProduct, state: OnlineState): Promise<void> => {
      const change = onlineChange(product, state, now, heartbeatTimeoutMs);
      if (change !== null && (await recordOnlineChange(db, product, change))) changes.push(change);
    };

    if (eventState !== null) await note(before, eventState);
    const after = await updateProduct(db, before, heartbeat);
    await saveDetails(db, heartbeat, clockSkewSeconds);
    await note(after, changes.at(-1)?.to ?? eventState ?? 'online');
    if (heartbeat.timeZone !== null && heartbeat.timeZone !== before.timeZone) {
      await auditTimeZone(db, now, before, heartbeat.timeZone, actor);
    }
    return { clockSkewSeconds, changes };
  });
}

async function lockOwnProduct(
  store: Store,
  db: Db,
  heartbeat: Heartbeat,
): Promise<RegisteredProduct> {
  const product = await lockProduct(store, db, heartbeat.productId);
  if (product?.customerId !== heartbeat.customerId) {
    throw notFound(`registered product ${heartbeat.productId}`);
  }
  return product;
}

async function lastEventState(db: Db, productId: number): Promise<OnlineState | null> {
  const row = await db
    .selectFrom('productHeartbeats')
    .select('lastEventState')
    .where('productId', '=', productId)
    .executeTakeFirst();
  return row?.lastEventState ?? null;
}

async function updateProduct(
  db: Db,
  before: RegisteredProduct,
  heartbeat: Heartbeat,
): Promise<RegisteredProduct> {
  const changes = {
    type: heartbeat.type,
    hostName: heartbeat.hostName,
    ipAddress: heartbeat.ipAddress,
    version: heartbeat.version,
    lastHeartbeatAt: heartbeat.receivedAt,
    offlineAnnouncedAt: heartbeat.state === 'going-offline' ? heartbeat.receivedAt : null,
    timeZone: heartbeat.timeZone ?? before.timeZone,
  };
  await db
    .updateTable('registeredProducts')
    .set(changes)
    .where('id', '=', before.id)
    .where('customerId', '=', before.customerId)
    .execute();
  return { ...before, ...changes };
}

async function saveDetails(db: Db, heartbeat: Heartbeat, clockSkewSeconds: number): Promise<void> {
  const details = {
    customerId: heartbeat.customerId,
    receivedAt: heartbeat.receivedAt,
    state: heartbeat.state,
    applianceTime: heartbeat.applianceTime,
    clockSkewSeconds,
    securityCompliance: flag(heartbeat.securityCompliance),
    canRunMitigation: flag(heartbeat.canRunMitigation),
    licenceExpiresAt: heartbeat.licenceExpiresAt,
    patternVersion: heartbeat.patternVersion,
  };
  // A first heartbeat brings the product online, which is no recovery: it starts as online.
  await db
    .insertInto('productHeartbeats')
    .values({ productId: heartbeat.productId, lastEventState: 'online', ...details })
    .onConflict((conflict) => conflict.column('productId').doUpdateSet(details))
    .execute();
}

/** Ingestion reads the product's zone: a change of it is audited like one made by an operator. */
function auditTimeZone(
  db: Db,
  now: Date,
  product: RegisteredProduct,
  timeZone: string,
  actor: Actor,
): Promise<void> {
  return recordAudit(db, now, {
    actor: actor.name,
    source: actor.source,
    action: 'product.time_zone',
    target: product.guid,
    customerId: product.customerId,
    result: 'success',
    detail: { timeZone, previous: product.timeZone, via: 'heartbeat' },
  });
}

function flag(value: boolean | null): number | null {
  return value === null ? null : Number(value);
}
