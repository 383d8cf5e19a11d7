import type { Db } from '../storage/database.js';

export const OCS_TRIGGERED = 'ocs.triggered';
/** Events from one source within this time of the first add to one `ocs.triggered`. */
export const BURST_WINDOW_MS = 10 * 60_000;
/** Beyond this many sources of one product in a window, the rest share one event (P09). */
export const MAX_SOURCES_PER_WINDOW = 20;
const MANY_SOURCES = '*';
const NAMES_SHOWN = 5;

/** What one batch brought from one source of one product. */
export interface SourceEvents {
  customerId: number;
  productId: number;
  guid: string;
  sourceIp: string;
  sourceHost: string | null;
  action: string;
  malwareNames: string[];
  count: number;
}

export interface Burst {
  applianceEventId: number;
  /** Whether this call recorded a new `ocs.triggered` (else it counted into one). */
  opened: boolean;
  count: number;
}

interface BurstDetail {
  guid: string;
  source: string;
  sourceHost: string | null;
  action: string;
  malware: string[];
  count: number;
  firstAt: string;
  lastAt: string;
}

/**
 * Counts a source's events into its current burst, or opens one with a new `ocs.triggered`
 * appliance event. A notification reads the event's count, so a flood from one host is one
 * notice, and a flood from many hosts is at most MAX_SOURCES_PER_WINDOW + 1 per window. Call
 * inside the transaction that holds the product's row, so that bursts are judged one at a time.
 */
export async function countIntoBurst(db: Db, events: SourceEvents, now: number): Promise<Burst> {
  const cutoff = now - BURST_WINDOW_MS;
  const own = await currentBurst(db, events.productId, events.sourceIp, cutoff);
  if (own !== undefined) return joinBurst(db, own, events, now);

  const crowded = (await openSources(db, events.productId, cutoff)) >= MAX_SOURCES_PER_WINDOW;
  const sourceKey = crowded ? MANY_SOURCES : events.sourceIp;
  if (crowded) {
    const shared = await currentBurst(db, events.productId, sourceKey, cutoff);
    if (shared !== undefined) return joinBurst(db, shared, events, now);
  }
  return openBurst(db, events, sourceKey, now);
}

type BurstRow = { id: number; applianceEventId: number; count: number };

async function currentBurst(
  db: Db,
  productId: number,
  sourceKey: string,
  cutoff: number,
): Promise<BurstRow | undefined> {
  return db
    .selectFrom('ocsBursts')
    .select(['id', 'applianceEventId', 'count'])
    .where('productId', '=', productId)
    .where('sourceKey', '=', sourceKey)
    .where('startedAt', '>', cutoff)
    .executeTakeFirst();
}

async function openSources(db: Db, productId: number, cutoff: number): Promise<number> {
  const row = await db
    .selectFrom('ocsBursts')
    .select((eb) => eb.fn.countAll<number>().as('sources'))
    .where('productId', '=', productId)
    .where('startedAt', '>', cutoff)
    .executeTakeFirstOrThrow();
  return row.sources;
}

async function joinBurst(
  db: Db,
  burst: BurstRow,
  events: SourceEvents,
  now: number,
): Promise<Burst> {
  const count = burst.count + events.count;
  await db
    .updateTable('ocsBursts')
    .set({ count, lastAt: now })
    .where('id', '=', burst.id)
    .execute();

  const event = await db
    .selectFrom('applianceEvents')
    .select('detail')
    .where('id', '=', burst.applianceEventId)
    .executeTakeFirstOrThrow();
  const before = JSON.parse(event.detail) as BurstDetail;
  const malware = [...new Set([...before.malware, ...events.malwareNames])].slice(0, NAMES_SHOWN);
  const detail: BurstDetail = { ...before, malware, count, lastAt: iso(now) };
  await db
    .updateTable('applianceEvents')
    .set({ detail: JSON.stringify(detail) })
    .where('id', '=', burst.applianceEventId)
    .execute();
  return { applianceEventId: burst.applianceEventId, opened: false, count };
}

async function openBurst(
  db: Db,
  events: SourceEvents,
  sourceKey: string,
  now: number,
): Promise<Burst> {
  const many = sourceKey === MANY_SOURCES;
  const detail: BurstDetail = {
    guid: events.guid,
    source: many ? 'many sources' : events.sourceIp,
    sourceHost: many ? null : events.sourceHost,
    action: events.action,
    malware: [...new Set(events.malwareNames)].slice(0, NAMES_SHOWN),
    count: events.count,
    firstAt: iso(now),
    lastAt: iso(now),
  };
  const { id } = await db
    .insertInto('applianceEvents')
    .values({
      customerId: events.customerId,
      productId: events.productId,
      kind: OCS_TRIGGERED,
      at: now,
      detail: JSON.stringify(detail),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const burst = { applianceEventId: id, startedAt: now, lastAt: now, count: events.count };
  await db
    .insertInto('ocsBursts')
    .values({ customerId: events.customerId, productId: events.productId, sourceKey, ...burst })
    .onConflict((conflict) => conflict.columns(['productId', 'sourceKey']).doUpdateSet(burst))
    .execute();
  return { applianceEventId: id, opened: true, count: events.count };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
