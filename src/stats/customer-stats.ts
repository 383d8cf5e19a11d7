import { findCustomer } from '../accounts/customers.js';
import { ocsEventCounts } from '../ocs/ocs-events.js';
import { isOnline } from '../products/registered-products.js';
import type { Db } from '../storage/database.js';

export interface ProductStats {
  guid: string;
  type: string | null;
  hostName: string | null;
  timeZone: string | null;
  online: boolean;
  /** The appliance's clock minus the server's at its latest heartbeat; null before one. */
  clockSkewSeconds: number | null;
  lastHeartbeat: string | null;
  lastLogReceived: string | null;
  counts: ProductCounts;
  ocsEvents: number;
}

/** What ingestion made of one appliance's lines. */
export interface ProductCounts {
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  parseWarnings: number;
  purged: number;
}

export interface CustomerStats {
  customer: string;
  products: ProductStats[];
  counts: {
    linesReceived: number;
    detections: number;
    otherEvents: number;
    quarantined: number;
    purged: number;
    incidents: number;
    cases: number;
    parseWarnings: number;
    ocsEvents: number;
  };
}

/** The `tmsp stats --json` view of one customer account: totals since it was created. */
export async function customerStats(
  db: Db,
  customerName: string,
  now: Date,
  heartbeatTimeoutMs: number,
): Promise<CustomerStats> {
  const customer = await findCustomer(db, customerName);
  const products = await db
    .selectFrom('registeredProducts as product')
    .leftJoin('productCounters as counter', 'counter.productId', 'product.id')
    .leftJoin('productHeartbeats as heartbeat', 'heartbeat.productId', 'product.id')
    .selectAll('product')
    .select('heartbeat.clockSkewSeconds')
    .select([
      'counter.linesReceived',
      'counter.detections',
      'counter.otherEvents',
      'counter.quarantined',
      'counter.parseWarnings',
      'counter.purged',
    ])
    .where('product.customerId', '=', customer.id)
    .orderBy('product.guid')
    .execute();
  const counters = await db
    .selectFrom('customerCounters')
    .selectAll()
    .where('customerId', '=', customer.id)
    .executeTakeFirst();
  const ocsEvents = await ocsEventCounts(db, customer.id);

  return {
    customer: customer.name,
    products: products.map((product) => ({
      guid: product.guid,
      type: product.type,
      hostName: product.hostName,
      timeZone: product.timeZone,
      online: isOnline(product, now, heartbeatTimeoutMs),
      clockSkewSeconds: product.clockSkewSeconds ?? null,
      lastHeartbeat: isoOrNull(product.lastHeartbeatAt),
      lastLogReceived: isoOrNull(product.lastLogReceivedAt),
      counts: {
        linesReceived: product.linesReceived ?? 0,
        detections: product.detections ?? 0,
        otherEvents: product.otherEvents ?? 0,
        quarantined: product.quarantined ?? 0,
        parseWarnings: product.parseWarnings ?? 0,
        purged: product.purged ?? 0,
      },
      ocsEvents: ocsEvents.get(product.id) ?? 0,
    })),
    counts: {
      linesReceived: counters?.linesReceived ?? 0,
      detections: counters?.detections ?? 0,
      otherEvents: counters?.otherEvents ?? 0,
      quarantined: counters?.quarantined ?? 0,
      purged: counters?.purged ?? 0,
      incidents: counters?.incidents ?? 0,
      cases: counters?.cases ?? 0,
      parseWarnings: counters?.parseWarnings ?? 0,
      ocsEvents: [...ocsEvents.values()].reduce((sum, count) => sum + count, 0),
    },
  };
}

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString().replace('.000Z', 'Z');
}
