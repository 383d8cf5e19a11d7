import { CompiledQuery } from 'kysely';

import type { Db } from '../storage/database.js';
import type { Engine } from '../storage/engine.js';
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

interface StoredIncident {
  id: number;
  threat: string;
  host: string;
  firstSeen: number;
  lastSeen: number;
  severity: number | null;
  /** Detections this batch adds. */
  added: number;
}

/**
 * Folds a batch's clusters into the stored incidents, inside the caller's transaction, with a
 * fixed number of statements whatever the number of clusters: one read of the incidents that
 * may be extended, one insert, one update. Returns how many incidents were opened.
 */
export async function foldIntoIncidents(
  db: Db,
  engine: Engine,
  customerId: number,
  groups: readonly DetectionGroup[],
  windowMs: number,
): Promise<number> {
  if (groups.length === 0) return 0;
  const known = await incidentsNear(db, customerId, groups, windowMs);
  const byKey = new Map<string, StoredIncident[]>();
  for (const incident of known) listFor(byKey, incident).push(incident);

  const extended = new Set<StoredIncident>();
  const opened: DetectionGroup[] = [];
  for (const group of groups) {
    const incident = listFor(byKey, group).find((candidate) =>
      overlaps(candidate, group, windowMs),
    );
    if (incident === undefined) {
      opened.push(group);
      continue;
    }
    incident.firstSeen = Math.min(incident.firstSeen, group.firstSeen);
    incident.lastSeen = Math.max(incident.lastSeen, group.lastSeen);
    incident.severity = maxSeverity(incident.severity, group.severity);
    incident.added += group.detections;
    extended.add(incident);
  }

  // A scan of thousands of hosts opens thousands at once: stay below the parameter limits.
  for (let start = 0; start < opened.length; start += UPDATES_PER_STATEMENT) {
    const rows = opened
      .slice(start, start + UPDATES_PER_STATEMENT)
      .map((group) => ({ customerId, rule: SAME_THREAT_SAME_HOST, ...group }));
    await db.insertInto('incidents').values(rows).execute();
  }
  await extendIncidents(db, engine, [...extended]);
  return opened.length;
}

function listFor(
  byKey: Map<string, StoredIncident[]>,
  key: { threat: string; host: string },
): StoredIncident[] {
  const name = `${key.threat}\u0000${key.host}`;
  let list = byKey.get(name);
  if (list === undefined) {
    list = [];
    byKey.set(name, list);
  }
  return list;
}

function overlaps(incident: StoredIncident, group: DetectionGroup, windowMs: number): boolean {
  return (
    incident.lastSeen >= group.firstSeen - windowMs &&
    incident.firstSeen <= group.lastSeen + windowMs
  );
}

/** Threat names per read: a bound on the statement's parameters, not on correctness. */
const THREATS_PER_READ = 500;

async function incidentsNear(
  db: Db,
  customerId: number,
  groups: readonly DetectionGroup[],
  windowMs: number,
): Promise<StoredIncident[]> {
  const threats = [...new Set(groups.map((group) => group.threat))];
  const from = Math.min(...groups.map((group) => group.firstSeen)) - windowMs;
  const to = Math.max(...groups.map((group) => group.lastSeen)) + windowMs;
  const found: StoredIncident[] = [];
  for (let start = 0; start < threats.length; start += THREATS_PER_READ) {
    const rows = await db
      .selectFrom('incidents')
      .select(['id', 'threat', 'host', 'firstSeen', 'lastSeen', 'severity'])
      .where('customerId', '=', customerId)
      .where('threat', 'in', threats.slice(start, start + THREATS_PER_READ))
      .where('lastSeen', '>=', from)
      .where('firstSeen', '<=', to)
      .execute();
    for (const row of rows) found.push({ ...row, added: 0 });
  }
  return found;
}

const UPDATES_PER_STATEMENT = 500;

/** One UPDATE … FROM (VALUES …) per few hundred incidents; both engines understand it. */
async function extendIncidents(
  db: Db,
  engine: Engine,
  incidents: readonly StoredIncident[],
): Promise<void> {
  for (let start = 0; start < incidents.length; start += UPDATES_PER_STATEMENT) {
    const slice = incidents.slice(start, start + UPDATES_PER_STATEMENT);
    const parameters: unknown[] = [];
    const mark = (value: unknown, type: 'bigint' | 'integer'): string => {
      parameters.push(value);
      return `cast(${engine === 'postgres' ? `$${parameters.length}` : '?'} as ${type})`;
    };
    const tuples = slice.map(
      (incident) =>
        `(${mark(incident.id, 'bigint')}, ${mark(incident.firstSeen, 'bigint')}, ` +
        `${mark(incident.lastSeen, 'bigint')}, ${mark(incident.added, 'bigint')}, ` +
        `${mark(incident.severity, 'integer')})`,
    );
    const statement =
      'update incidents set first_seen = v.column2, last_seen = v.column3, ' +
      'detections = incidents.detections + v.column4, severity = v.column5 ' +
      `from (values ${tuples.join(', ')}) as v where incidents.id = v.column1`;
    await db.executeQuery(CompiledQuery.raw(statement, parameters));
  }
}
