import type { Actor } from '../accounts/customers.js';
import { recordAudit } from '../audit/audit-log.js';
import { AppError, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { HeartbeatState, OnlineState, RegisteredProduct } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { onlineChange, recordOnlineChange, type OnlineChange } from './online-changes.js';

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
  /** Whether the product has a deployment not yet confirmed: a superset of the pending ones. */
  deploymentsPending: boolean;
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
  return inTransaction(store, (db) =>
    storeHeartbeatIn(store, db, heartbeat, heartbeatTimeoutMs, actor),
  );
}

/** storeHeartbeat inside the caller's write transaction, which several heartbeats may share. */
export async function storeHeartbeatIn(
  store: Store,
  db: Db,
  heartbeat: Heartbeat,
  heartbeatTimeoutMs: number,
  actor: Actor,
): Promise<StoredHeartbeat> {
  const clockSkewSeconds = Math.round((heartbeat.applianceTime - heartbeat.receivedAt) / 1000);
  const now = new Date(heartbeat.receivedAt);
  const { before, eventState, deploymentsPending } = await lockOwnProduct(store, db, heartbeat);
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
  return { clockSkewSeconds, changes, deploymentsPending };
}

interface LockedProduct {
  before: RegisteredProduct;
  /** The online state of the product's latest appliance event; null before its first heartbeat. */
  eventState: OnlineState | null;
  deploymentsPending: boolean;
}

/**
 * What a heartbeat needs to know, in one statement: the product (locked on PostgreSQL; SQLite's
 * write transaction is whole), its latest event state, whether its account is still active,
 * and whether a pattern deployment may be waiting for it.
 */
async function lockOwnProduct(store: Store, db: Db, heartbeat: Heartbeat): Promise<LockedProduct> {
  const query = db
    .selectFrom('registeredProducts as product')
    .innerJoin('customerAccounts as customer', 'customer.id', 'product.customerId')
    .leftJoin('productHeartbeats as heartbeat', 'heartbeat.productId', 'product.id')
    .selectAll('product')
    .select(['heartbeat.lastEventState', 'customer.status as customerStatus'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('patternDeployments as deployment')
            .select('deployment.id')
            .whereRef('deployment.productId', '=', 'product.id')
            .where('deployment.state', '!=', 'deployed'),
        )
        .as('deploymentsPending'),
    )
    .where('product.id', '=', heartbeat.productId);
  const row = await (
    store.engine === 'postgres' ? query.forUpdate('product') : query
  ).executeTakeFirst();
  if (row?.customerId !== heartbeat.customerId) {
    throw notFound(`registered product ${heartbeat.productId}`);
  }
  const { lastEventState, customerStatus, deploymentsPending, ...before } = row;
  // Credentials were checked a moment ago (or came from a cache); the account may be disabled.
  if (customerStatus !== 'active') {
    throw new AppError('forbidden', 'the customer account is disabled');
  }
  return { before, eventState: lastEventState, deploymentsPending: Boolean(deploymentsPending) };
}

const PRODUCT_DETAILS = [
  'type',
  'hostName',
  'ipAddress',
  'version',
  'lastHeartbeatAt',
  'offlineAnnouncedAt',
  'timeZone',
] as const;

/** Writes only the columns the heartbeat changes: nearly always the receipt time alone. */
async function updateProduct(
  db: Db,
  before: RegisteredProduct,
  heartbeat: Heartbeat,
): Promise<RegisteredProduct> {
  const after: RegisteredProduct = {
    ...before,
    type: heartbeat.type,
    hostName: heartbeat.hostName,
    ipAddress: heartbeat.ipAddress,
    version: heartbeat.version,
    lastHeartbeatAt: heartbeat.receivedAt,
    offlineAnnouncedAt: heartbeat.state === 'going-offline' ? heartbeat.receivedAt : null,
    timeZone: heartbeat.timeZone ?? before.timeZone,
  };
  const changed = PRODUCT_DETAILS.filter((column) => after[column] !== before[column]);
  if (changed.length === 0) return after;
  await db
    .updateTable('registeredProducts')
    .set(Object.fromEntries(changed.map((column) => [column, after[column]])))
    .where('id', '=', before.id)
    .where('customerId', '=', before.customerId)
    .execute();
  return after;
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
