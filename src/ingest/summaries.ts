import type { Db } from '../storage/database.js';
import type { IngestedLine } from './lines.js';

const HOUR_MS = 3_600_000;
/** Longer values are cut: a summary key is for grouping, not for reading the whole URL. */
const MAX_KEY_LENGTH = 200;

/**
 * Counts kept per customer and hour of event time, so that dashboards and reports read a few
 * rows per hour instead of every detection. Dimensions: kind (every line, quarantined ones
 * included, by receive hour for those), and for detections severity, threat, host, protocol,
 * direction and detection type; application for application filter events, category for
 * URL filtering events.
 */
export type SummaryDimension =
  | 'kind'
  | 'severity'
  | 'threat'
  | 'host'
  | 'protocol'
  | 'direction'
  | 'detectionType'
  | 'application'
  | 'urlCategory';

export interface SummaryCount {
  customerId: number;
  hour: number;
  dimension: SummaryDimension;
  value: string;
  count: number;
}

export class SummaryTally {
  readonly #counts = new Map<string, SummaryCount>();

  add(line: IngestedLine): void {
    if (line.kind === 'quarantine') {
      const { customerId, receiveTime } = line.row;
      this.#count(customerId, receiveTime, 'kind', 'quarantined');
      return;
    }
    const { customerId, eventTime } = line.row;
    const count = (dimension: SummaryDimension, value: string | null | undefined): void =>
      this.#count(customerId, eventTime, dimension, value);

    if (line.kind === 'detection') {
      const row = line.row;
      count('kind', 'detection');
      count(
        'severity',
        row.severity === null || row.severity === undefined ? null : String(row.severity),
      );
      count('threat', row.detectionName);
      count('host', row.affectedHost);
      count('protocol', row.protocol);
      count('direction', row.direction);
      count('detectionType', row.detectionType);
      return;
    }
    const row = line.row;
    count('kind', row.kind);
    if (row.kind === 'application-filter') count('application', row.application);
    if (row.kind === 'url-filtering') count('urlCategory', row.urlCategory);
  }

  counts(): SummaryCount[] {
    return [...this.#counts.values()];
  }

  #count(
    customerId: number,
    time: number,
    dimension: SummaryDimension,
    value: string | null | undefined,
  ): void {
    const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
    const text = value === null || value === undefined || value === '' ? 'unknown' : value;
    const keyValue = text.length > MAX_KEY_LENGTH ? text.slice(0, MAX_KEY_LENGTH) : text;
    const key = `${customerId}\u0000${hour}\u0000${dimension}\u0000${keyValue}`;
    const known = this.#counts.get(key);
    if (known !== undefined) known.count += 1;
    else this.#counts.set(key, { customerId, hour, dimension, value: keyValue, count: 1 });
  }
}

/** Rows per statement: five parameters each, well under both engines' limits. */
const UPSERT_ROWS = 500;

/** Adds the tally to the stored summaries, inside the caller's transaction. */
export async function addSummaries(db: Db, counts: readonly SummaryCount[]): Promise<void> {
  for (let start = 0; start < counts.length; start += UPSERT_ROWS) {
    await db
      .insertInto('hourlySummaries')
      .values(counts.slice(start, start + UPSERT_ROWS))
      .onConflict((conflict) =>
        conflict.columns(['customerId', 'dimension', 'hour', 'value']).doUpdateSet((eb) => ({
          count: eb('hourlySummaries.count', '+', eb.ref('excluded.count')),
        })),
      )
      .execute();
  }
}
