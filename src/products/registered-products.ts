import type { Actor } from '../accounts/customers.js';
import { recordAudit } from '../audit/audit-log.js';
import { isKnownTimeZone } from '../ingest/parsers/zoned-time.js';
import { parseApplianceGuid } from '../logserver/received-files.js';
import type { Clock } from '../shared/clock.js';
import { invalidInput, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { RegisteredProduct } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';

/**
 * Online means a heartbeat was received within the timeout, measured on the server's clock at
 * receipt (never the appliance's own clock), and the appliance has not said it is going offline.
 */
export function isOnline(
  product: RegisteredProduct,
  now: Date,
  heartbeatTimeoutMs: number,
): boolean {
  const last = product.lastHeartbeatAt;
  if (last === null) return false;
  if (product.offlineAnnouncedAt !== null && product.offlineAnnouncedAt >= last) return false;
  return now.getTime() - last <= heartbeatTimeoutMs;
}

/**
 * When a product that isOnline calls offline stopped being online: when it said it was going
 * offline, else when the timeout after its last heartbeat ran out. Null without a heartbeat.
 */
export function offlineSince(
  product: RegisteredProduct,
  heartbeatTimeoutMs: number,
): number | null {
  const last = product.lastHeartbeatAt;
  if (last === null) return null;
  const announced = product.offlineAnnouncedAt;
  return announced !== null && announced >= last ? announced : last + heartbeatTimeoutMs;
}

/**
 * Sets the IANA zone an appliance's time stamps without a zone are read in; files ingested
 * from now on use it (lines already stored keep their times). Audited with the old zone.
 */
export async function setProductTimeZone(
  store: Store,
  clock: Clock,
  change: { guid: string; timeZone: string },
  actor: Actor,
): Promise<{ guid: string; customerId: number }> {
  const guid = parseApplianceGuid(change.guid);
  if (guid === null) throw invalidInput(`"${change.guid}" is not an appliance GUID`);
  if (!isKnownTimeZone(change.timeZone)) {
    throw invalidInput(
      `unknown time zone "${change.timeZone}" (use an IANA name such as Europe/Berlin)`,
    );
  }
  const now = clock.now();
  return inTransaction(store, async (db) => {
    const product = await db
      .selectFrom('registeredProducts')
      .select(['id', 'customerId', 'timeZone'])
      .where('guid', '=', guid)
      .executeTakeFirst();
    if (product === undefined) throw notFound(`registered product ${guid}`);
    await db
      .updateTable('registeredProducts')
      .set({ timeZone: change.timeZone })
      .where('id', '=', product.id)
      .where('customerId', '=', product.customerId)
      .execute();
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'product.time_zone',
      target: guid,
      customerId: product.customerId,
      result: 'success',
      detail: { timeZone: change.timeZone, previous: product.timeZone },
    });
    return { guid, customerId: product.customerId };
  });
}

export interface ProductListing {
  guid: string;
  type: string | null;
  hostName: string | null;
  /** Its own zone, or null when it uses its customer account's. */
  timeZone: string | null;
  firstRegistered: string;
  lastLogReceived: string | null;
}

/** The registered products of one customer account, by GUID. */
export async function listProducts(db: Db, customerId: number): Promise<ProductListing[]> {
  const rows = await db
    .selectFrom('registeredProducts')
    .select(['guid', 'type', 'hostName', 'timeZone', 'firstRegisteredAt', 'lastLogReceivedAt'])
    .where('customerId', '=', customerId)
    .orderBy('guid')
    .execute();
  return rows.map((row) => ({
    guid: row.guid,
    type: row.type,
    hostName: row.hostName,
    timeZone: row.timeZone,
    firstRegistered: new Date(row.firstRegisteredAt).toISOString(),
    lastLogReceived:
      row.lastLogReceivedAt === null ? null : new Date(row.lastLogReceivedAt).toISOString(),
  }));
}
