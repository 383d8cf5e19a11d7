import { sql } from 'kysely';

import type { Db } from '../storage/database.js';

export const DAY_MS = 86_400_000;

/** Values kept per ranked dimension: enough for every breakdown and every top-10 list. */
export const KEPT_PER_DIMENSION = 20;

/** The summary dimensions the profile ranks (ingest/summaries.ts says what each counts). */
export const RANKED_DIMENSIONS = [
  'kind',
  'threat',
  'host',
  'severity',
  'detectionType',
  'protocol',
  'direction',
  'application',
  'urlCategory',
] as const;

export type RankedDimension = (typeof RANKED_DIMENSIONS)[number];

/**
 * One row of the profile statement: a ranked dimension's value and its total, or under the
 * pseudo-dimensions `hour` (value: the hour's epoch ms) the detections of that hour, and
 * `incidentDay` (value: days since the epoch) the incidents opened that UTC day.
 */
export interface ProfileRow {
  dimension: string;
  value: string;
  /** PostgreSQL sums bigints as numeric, which arrives as text. */
  total: number | string;
}

export interface HourRange {
  /** Epoch ms: summary hours and incident starts at or after this count. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/**
 * Everything the profile needs in one statement, so that every number comes from the same
 * snapshot while ingestion commits, on both engines, without a transaction. It reads only
 * hourly_summaries and incidents, through their (customer, dimension, hour) and (customer,
 * first seen) indexes: the work grows with hours × distinct values per hour, not with the
 * detections stored.
 */
export function profileRows(db: Db, customerId: number, range: HourRange): Promise<ProfileRow[]> {
  const inRange = db
    .selectFrom('hourlySummaries')
    .where('customerId', '=', customerId)
    .where('hour', '>=', range.from)
    .where('hour', '<', range.to);

  const grouped = inRange
    .select(['dimension', 'value'])
    .select((eb) => eb.fn.sum<number | string>('count').as('total'))
    .where('dimension', 'in', RANKED_DIMENSIONS)
    .groupBy(['dimension', 'value']);
  const ranked = db
    .selectFrom(grouped.as('grouped'))
    .select(['dimension', 'value', 'total'])
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((over) => over.partitionBy('dimension').orderBy('total', 'desc').orderBy('value'))
        .as('place'),
    );
  const kept = db
    .selectFrom(ranked.as('ranked'))
    .select(['dimension', 'value', 'total'])
    .where('place', '<=', KEPT_PER_DIMENSION);

  const hours = inRange
    .select([
      sql<string>`'hour'`.as('dimension'),
      sql<string>`cast(${sql.ref('hour')} as text)`.as('value'),
      'count as total',
    ])
    .where('dimension', '=', 'kind')
    .where('value', '=', 'detection');

  // A literal divisor: PostgreSQL matches the selected day to the grouped one only when the
  // two expressions are the same text, and two bound parameters never are.
  const day = sql<number>`${sql.ref('firstSeen')} / ${sql.lit(DAY_MS)}`;
  const incidentDays = db
    .selectFrom('incidents')
    .select([
      sql<string>`'incidentDay'`.as('dimension'),
      sql<string>`cast(${day} as text)`.as('value'),
      (eb) => eb.fn.countAll<number>().as('total'),
    ])
    .where('customerId', '=', customerId)
    .where('firstSeen', '>=', range.from)
    .where('firstSeen', '<', range.to)
    .groupBy(day);

  return kept.unionAll(hours).unionAll(incidentDays).execute();
}
