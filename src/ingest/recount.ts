import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { clusterDetections, SAME_THREAT_SAME_HOST } from './incidents.js';
import { zonedTimeToUtc, zoneOffset } from './parsers/zoned-time.js';

/** A calendar day in a customer's time zone, as the instants it starts and ends at. */
export interface CustomerDay {
  /** YYYY-MM-DD in the customer's zone. */
  date: string;
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;

/** The customer-day `daysBack` days before the one holding `instant`. */
export function customerDay(instant: number, timeZone: string, daysBack = 0): CustomerDay {
  const offset = zoneOffset(instant, timeZone) ?? 0;
  const local = new Date(instant + offset - daysBack * DAY_MS);
  const wall = {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: 0,
    minute: 0,
    second: 0,
    millisecond: 0,
  };
  const next = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
  const nextWall = {
    ...wall,
    year: next.getUTCFullYear(),
    month: next.getUTCMonth() + 1,
    day: next.getUTCDate(),
  };
  const start =
    zonedTimeToUtc(wall, timeZone)?.getTime() ?? Date.UTC(wall.year, wall.month - 1, wall.day);
  const end = zonedTimeToUtc(nextWall, timeZone)?.getTime() ?? next.getTime();
  const date = `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`;
  return { date, start, end };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Detections read per page while a day is recounted. */
const PAGE = 10_000;

/**
 * Rebuilds the incidents of the given customer-days from their detections, and the customer's
 * incident count with them, in one transaction. An incident belongs to the day it starts in
 * and reaches no further than that day's end; the schedule passes yesterday and today, so
 * that detections of today cut off yesterday's incidents are counted again at once. Returns
 * the number of incidents those days hold now.
 */
export async function recountIncidents(
  store: Store,
  customerId: number,
  days: readonly CustomerDay[],
  windowMs: number,
): Promise<number> {
  return inTransaction(store, async (db) => {
    let rebuilt = 0;
    for (const day of days) rebuilt += await rebuildDay(db, customerId, day, windowMs);

    const total = await db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('customerId', '=', customerId)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('customerCounters')
      .set({ incidents: total.count })
      .where('customerId', '=', customerId)
      .execute();
    return rebuilt;
  });
}

interface DayDetection {
  detectionName: string | null;
  affectedHost: string | null;
  eventTime: number;
  severity: number | null;
}

async function rebuildDay(
  db: Db,
  customerId: number,
  day: CustomerDay,
  windowMs: number,
): Promise<number> {
  const detections = await detectionsOfDay(db, customerId, day);
  await db
    .deleteFrom('incidents')
    .where('customerId', '=', customerId)
    .where('firstSeen', '>=', day.start)
    .where('firstSeen', '<', day.end)
    .execute();
  const groups = clusterDetections(detections, windowMs);
  for (let start = 0; start < groups.length; start += INSERT_ROWS) {
    const rows = groups
      .slice(start, start + INSERT_ROWS)
      .map((group) => ({ customerId, rule: SAME_THREAT_SAME_HOST, ...group }));
    await db.insertInto('incidents').values(rows).execute();
  }
  return groups.length;
}

const INSERT_ROWS = 500;

async function detectionsOfDay(
  db: Db,
  customerId: number,
  day: CustomerDay,
): Promise<DayDetection[]> {
  const detections: DayDetection[] = [];
  for (let afterId = 0; ;) {
    const page = await db
      .selectFrom('detections')
      .select(['id', 'detectionName', 'affectedHost', 'eventTime', 'severity'])
      .where('customerId', '=', customerId)
      .where('eventTime', '>=', day.start)
      .where('eventTime', '<', day.end)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    detections.push(...page);
    if (page.length < PAGE) return detections;
    afterId = page[page.length - 1]?.id ?? afterId;
  }
}
