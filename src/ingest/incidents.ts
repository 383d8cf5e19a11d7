import type { Db } from '../storage/database.js';
import type { NewDetection } from './lines.js';

/**
 * Incidents are detections correlated by a rule. The rule kept here: the same threat on the
 * same affected host, with no more than the window between one detection and the next, is one
 * incident. Ingestion extends or opens incidents as detections arrive (in event-time order
 * within a batch); the daily recount (recount.ts) rebuilds a whole day from the detections, so
 * that lines that arrived late or out of order end up where they belong.
 */
export const SAME_THREAT_SAME_HOST = 'same-threat-same-host';

export interface DetectionGroup {
  threat: string;
  host: string;
  firstSeen: number;
  lastSeen: number;
  detections: number;
  severity: number | null;
}

/** Clusters detections by threat and host, cutting a cluster where the gap exceeds windowMs. */
export function clusterDetections(
  detections: ReadonlyArray<
    Pick<NewDetection, 'detectionName' | 'affectedHost' | 'eventTime' | 'severity'>
  >,
  windowMs: number,
): DetectionGroup[] {
  const byKey = new Map<string, Array<{ time: number; severity: number | null }>>();
  for (const detection of detections) {
    const threat = detection.detectionName;
    const host = detection.affectedHost;
    if (threat === null || threat === undefined || host === null || host === undefined) continue;
    const key = `${threat}\u0000${host}`;
    const list = byKey.get(key) ?? [];
    list.push({ time: detection.eventTime, severity: detection.severity ?? null });
    byKey.set(key, list);
  }

  const groups: DetectionGroup[] = [];
  for (const [key, list] of byKey) {
    const [threat = '', host = ''] = key.split('\u0000');
    list.sort((a, b) => a.time - b.time);
    let current: DetectionGroup | null = null;
    for (const { time, severity } of list) {
      if (current === null || time - current.lastSeen > windowMs) {
        current = { threat, host, firstSeen: time, lastSeen: time, detections: 0, severity: null };
        groups.push(current);
      }
      current.lastSeen = time;
      current.detections += 1;
      current.severity = maxSeverity(current.severity, severity);
    }
  }
  return groups;
}

function maxSeverity(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/**
 * Folds a batch's clusters into the stored incidents, inside the caller's transaction.
 * Returns how many incidents were opened.
 */
export async function foldIntoIncidents(
  db: Db,
  customerId: number,
  groups: readonly DetectionGroup[],
  windowMs: number,
): Promise<number> {
  let opened = 0;
  for (const group of groups) {
    const near = await db
      .selectFrom('incidents')
      .select(['id', 'firstSeen', 'lastSeen', 'severity'])
      .where('customerId', '=', customerId)
      .where('threat', '=', group.threat)
      .where('host', '=', group.host)
      .where('lastSeen', '>=', group.firstSeen - windowMs)
      .where('firstSeen', '<=', group.lastSeen + windowMs)
      .orderBy('lastSeen', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (near === undefined) {
      await db
        .insertInto('incidents')
        .values({ customerId, rule: SAME_THREAT_SAME_HOST, ...group })
        .execute();
      opened += 1;
      continue;
    }
    await db
      .updateTable('incidents')
      .set((eb) => ({
        firstSeen: Math.min(near.firstSeen, group.firstSeen),
        lastSeen: Math.max(near.lastSeen, group.lastSeen),
        detections: eb('detections', '+', group.detections),
        severity: maxSeverity(near.severity, group.severity),
      }))
      .where('id', '=', near.id)
      .execute();
  }
  return opened;
}
