import { lockProduct } from '../products/online-changes.js';
import { notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { malwareMatcherFor } from './malware-mappings.js';
import type { MalwareMatcher } from './malware-matcher.js';
import { countIntoBurst, type Burst } from './ocs-bursts.js';

export const OCS_ACTIONS = ['blocked', 'reset', 'redirected', 'monitored'] as const;
export type OcsAction = (typeof OCS_ACTIONS)[number];

/** One OCS event as the appliance reported it, checked by the caller. */
export interface OcsEvent {
  eventId: string;
  occurredAt: number;
  action: OcsAction;
  sourceIp: string;
  sourceHost: string | null;
  destinationIp: string | null;
  destinationPort: number | null;
  protocol: string | null;
  ruleId: string | null;
  ruleName: string | null;
  detectionName: string | null;
  content: string | null;
  fileName: string | null;
  url: string | null;
}

export interface OcsBatch {
  customerId: number;
  productId: number;
  guid: string;
  /** The server's clock at receipt: bursts are judged by it. */
  receivedAt: number;
  events: OcsEvent[];
}

export interface StoredOcsBatch {
  stored: number;
  /** Events this product had sent before (same event id): not stored again. */
  duplicates: number;
  bursts: Burst[];
}

/**
 * Stores a batch of a product's OCS events with their malware names, and counts the new ones
 * into `ocs.triggered` bursts per source, all in one transaction that holds the product's row.
 */
export async function storeOcsEvents(store: Store, batch: OcsBatch): Promise<StoredOcsBatch> {
  const matcher = await malwareMatcherFor(store.db, batch.customerId);
  return inTransaction(store, async (db) => {
    const product = await lockProduct(store, db, batch.productId);
    if (product?.customerId !== batch.customerId) {
      throw notFound(`registered product ${batch.productId}`);
    }
    const fresh = await insertNew(db, batch, matcher);
    const bursts: Burst[] = [];
    for (const group of bySource(fresh)) {
      const [first] = group;
      if (first === undefined) continue;
      const events = {
        customerId: batch.customerId,
        productId: batch.productId,
        guid: batch.guid,
        sourceIp: first.sourceIp,
        sourceHost: first.sourceHost,
        action: first.action,
        malwareNames: group.flatMap((event) => event.malwareName ?? []),
        count: group.length,
      };
      bursts.push(await countIntoBurst(db, events, batch.receivedAt));
    }
    return { stored: fresh.length, duplicates: batch.events.length - fresh.length, bursts };
  });
}

type MappedEvent = OcsEvent & { malwareName: string | null };

/** Inserts the events this product has not sent before; returns those. */
async function insertNew(db: Db, batch: OcsBatch, matcher: MalwareMatcher): Promise<MappedEvent[]> {
  const unique = [...new Map(batch.events.map((event) => [event.eventId, event])).values()];
  if (unique.length === 0) return [];
  const mapped = unique.map((event) => ({ ...event, malwareName: malwareOf(matcher, event) }));
  const inserted = await db
    .insertInto('ocsEvents')
    .values(
      mapped.map((event) => ({
        ...event,
        customerId: batch.customerId,
        productId: batch.productId,
        receivedAt: batch.receivedAt,
      })),
    )
    .onConflict((conflict) => conflict.columns(['productId', 'eventId']).doNothing())
    .returning('eventId')
    .execute();
  const fresh = new Set(inserted.map((row) => row.eventId));
  return mapped.filter((event) => fresh.has(event.eventId));
}

/** The fields an OCS log's content is in; see MalwareMatcher for the rule. */
function malwareOf(matcher: MalwareMatcher, event: OcsEvent): string | null {
  return matcher.match([event.detectionName, event.ruleName, event.content, event.fileName]);
}

function bySource(events: MappedEvent[]): MappedEvent[][] {
  const groups = new Map<string, MappedEvent[]>();
  for (const event of events) {
    const group = groups.get(event.sourceIp);
    if (group === undefined) groups.set(event.sourceIp, [event]);
    else group.push(event);
  }
  return [...groups.values()];
}

/** How many OCS events each product of a customer account sent, by product id. */
export async function ocsEventCounts(db: Db, customerId: number): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('ocsEvents')
    .select(['productId', (eb) => eb.fn.countAll<number>().as('events')])
    .where('customerId', '=', customerId)
    .groupBy('productId')
    .execute();
  return new Map(rows.map((row) => [row.productId, row.events]));
}
