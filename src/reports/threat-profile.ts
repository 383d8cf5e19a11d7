import type { Db } from '../storage/database.js';
import {
  DAY_MS,
  profileRows,
  RANKED_DIMENSIONS,
  type ProfileRow,
  type RankedDimension,
} from './profile-query.js';

/** A value and how often it was seen; lists are largest first. */
export interface Ranked {
  value: string;
  count: number;
}

export interface ProfileDay {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  detections: number;
  /** Incidents opened that day (by their first detection). */
  incidents: number;
}

export interface ThreatProfile {
  from: Date;
  to: Date;
  detections: number;
  incidents: number;
  /** Detections of detection type `ocs` (Outbreak Containment Services). */
  ocsEvents: number;
  /** Every UTC day the range touches, in order, days without data included. */
  days: ProfileDay[];
  topThreats: Ranked[];
  topHosts: Ranked[];
  /** Severity 0–10 as text, or `unknown`. */
  bySeverity: Ranked[];
  byDetectionType: Ranked[];
  byProtocol: Ranked[];
  byDirection: Ranked[];
  /** Application filter events by application. */
  topApplications: Ranked[];
  /** URL filtering events by category. */
  topUrlCategories: Ranked[];
  /** Stored lines by kind: detections, each kind of other event, quarantined lines. */
  byKind: Ranked[];
}

export interface ProfileRange {
  from: Date;
  to: Date;
}

const TOP = 10;

/**
 * The portal's threat profile of one customer for a time range, read from the hourly
 * summaries and the incidents kept at ingest, never from the stored detections: its cost
 * follows the hours in the range times the distinct threats, hosts and other values seen per
 * hour, which grows far slower than the detections do.
 *
 * Time is cut at whole UTC hours and grouped by UTC days for now (not yet in the customer's
 * zone): an hour counts when it starts in [from, to), an incident when its first detection
 * does. Breakdowns list at most 20 values, top lists 10, largest first and equal counts by
 * value; which of several equal counts makes the 20th place depends on the engine's collation.
 */
export async function threatProfile(
  db: Db,
  customerId: number,
  range: ProfileRange,
): Promise<ThreatProfile> {
  const from = range.from.getTime();
  const to = range.to.getTime();
  if (!(from < to)) throw new RangeError('a threat profile needs from before to');
  const rows = await profileRows(db, customerId, { from, to });
  const ranked = rankedLists(rows);
  const days = daySeries(rows, from, to);
  const list = (dimension: RankedDimension, limit?: number): Ranked[] =>
    (ranked.get(dimension) ?? []).slice(0, limit);

  return {
    from: range.from,
    to: range.to,
    detections: days.reduce((sum, day) => sum + day.detections, 0),
    incidents: days.reduce((sum, day) => sum + day.incidents, 0),
    ocsEvents: list('detectionType').find((entry) => entry.value === 'ocs')?.count ?? 0,
    days,
    topThreats: list('threat', TOP),
    topHosts: list('host', TOP),
    bySeverity: list('severity'),
    byDetectionType: list('detectionType'),
    byProtocol: list('protocol'),
    byDirection: list('direction'),
    topApplications: list('application', TOP),
    topUrlCategories: list('urlCategory', TOP),
    byKind: list('kind'),
  };
}

function rankedLists(rows: readonly ProfileRow[]): Map<string, Ranked[]> {
  const lists = new Map<string, Ranked[]>(RANKED_DIMENSIONS.map((name) => [name, []]));
  for (const row of rows) {
    lists.get(row.dimension)?.push({ value: row.value, count: Number(row.total) });
  }
  // The statement ranks within each dimension but returns the rows in no particular order.
  for (const list of lists.values()) list.sort(byCountThenValue);
  return lists;
}

function byCountThenValue(a: Ranked, b: Ranked): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.value === b.value) return 0;
  return a.value < b.value ? -1 : 1;
}

function daySeries(rows: readonly ProfileRow[], from: number, to: number): ProfileDay[] {
  const first = Math.floor(from / DAY_MS);
  const last = Math.floor((to - 1) / DAY_MS);
  const days: ProfileDay[] = [];
  for (let day = first; day <= last; day += 1) {
    days.push({
      day: new Date(day * DAY_MS).toISOString().slice(0, 10),
      detections: 0,
      incidents: 0,
    });
  }
  const at = (dayNumber: number): ProfileDay | undefined => days[dayNumber - first];
  for (const row of rows) {
    const count = Number(row.total);
    if (row.dimension === 'hour') {
      const day = at(Math.floor(Number(row.value) / DAY_MS));
      if (day !== undefined) day.detections += count;
    } else if (row.dimension === 'incidentDay') {
      const day = at(Number(row.value));
      if (day !== undefined) day.incidents += count;
    }
  }
  return days;
}
